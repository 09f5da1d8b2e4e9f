/*
 * cable_diag.c - the rule book: every rule the parser can cite, with the
 * message `lint` prints and the explanation `lint --explain` gives a trainee.
 */
#include "cable_diag.h"

#include <stdio.h>
#include <string.h>

typedef struct rule_text {
    const char *message;
    const char *explain;
} rule_text_t;

/* Indexed by cable_rule_t; keep in the order of CABLE_RULES. */
static const rule_text_t rule_texts[CABLE_RULE_COUNT] = {
    [CABLE_R_INPUT_EMPTY] = {"empty input: no cable text",
        "A transmission must carry a message. An empty file or an empty stream holds no "
        "cable, so there is nothing to route or deliver."},
    [CABLE_R_INPUT_BINARY] = {"binary input: NUL or control bytes where teletype text belongs",
        "Cables are teletype text: printable characters, spaces and line ends. NUL bytes and "
        "other control characters mean the input is not a cable or was garbled in transit; "
        "a receiving operator would ask for a repeat with a service message."},
    [CABLE_R_DTG_MISSING] = {"no date-time group line (e.g. 'O 071302Z MAY 07')",
        "Format line 5 gives the precedence and the date-time group (DDHHMMZ MON YY) at which "
        "the message was released. The DTG identifies the message and starts the "
        "speed-of-service clock, so a cable without one cannot be handled."},
    [CABLE_R_DTG_INVALID] = {"the date-time group names a date or time that does not exist",
        "A DTG is DDHHMMZ MON YY in UTC: day 01-31 valid for the month, hour 00-23, minute "
        "00-59, a three-letter English month. A DTG such as day 45 or hour 25 is a "
        "drafting or transmission error and must be queried with the originator."},
    [CABLE_R_PREC_MISSING] = {"no precedence: none on format line 2, the DTG line or any addressee",
        "Every message carries a precedence (Y EMERGENCY COMMAND, Z FLASH, O IMMEDIATE, "
        "P PRIORITY, R ROUTINE), doubled on format line 2 and single on the DTG line. "
        "Precedence decides the order of handling, so a message without one cannot be queued."},
    [CABLE_R_FM_MISSING] = {"no FM line naming the originator",
        "Format line 6 'FM <plain-language address>' names the originator. Without it the "
        "addressees cannot tell who sent the message nor where to send service messages."},
    [CABLE_R_ADDR_MISSING] = {"no TO or INFO addressee",
        "A message must have at least one action (TO) or information (INFO) addressee; "
        "a message addressed to nobody cannot be delivered."},
    [CABLE_R_TEXT_MISSING] = {"no text after the header: the cable is cut off in its heading",
        "The heading (format lines 1-10) is followed by a blank line and the text, which "
        "starts with the classification line. A transmission that ends inside its heading "
        "was cut off; ask for a repeat."},
    [CABLE_R_FL1_MISSING] = {"no transmission identification line 'VZCZC<CCC><NNNN>'",
        "Format line 1 starts every transmission: VZCZC, the three-letter channel designator "
        "and the channel sequence number. Receiving operators check the sequence numbers "
        "for gaps (telegraphic accounting). Older cables and newspaper copies lack it."},
    [CABLE_R_FL1_MALFORMED] = {"malformed transmission identification line",
        "Format line 1 is VZCZC followed by three letters (the channel designator) and the "
        "channel sequence number, with nothing else on the line."},
    [CABLE_R_FL1_CSN_WIDTH] = {"three-digit channel sequence number",
        "cablesim writes channel sequence numbers with four digits (0000-9999, wrapping). "
        "The handbook shows three digits; both are accepted, four is canonical here."},
    [CABLE_R_FL2_MISSING] = {"no format line 2 (precedence prosign and routing indicators)",
        "Format line 2 gives the doubled precedence prosign (e.g. OO) and the routing "
        "indicators of the stations that must receive the transmission. Relays route on it."},
    [CABLE_R_FL2_PROSIGN] = {"unknown precedence prosign on format line 2",
        "The prosign on format line 2 is a precedence letter doubled: YY, ZZ, OO, PP or RR. "
        "Anything else (e.g. NN) is not a precedence; the precedence is then taken from the "
        "DTG line or the addressee lines."},
    [CABLE_R_FL2_RI] = {"malformed routing indicator on format line 2",
        "A routing indicator is 4 to 7 capital letters (e.g. RUEHC, RUCNDT). Relays match "
        "them letter by letter, so any other token on format line 2 cannot be routed."},
    [CABLE_R_FL2_NOT_HIGHEST] = {"format line 2 precedence is not the highest of the message",
        "When addressees have different precedences, format line 2 carries the highest one, "
        "so that relays handle the whole transmission at the speed its most urgent "
        "addressee needs."},
    [CABLE_R_HEADER_BLANK] = {"blank line inside the heading",
        "The heading (format lines 1-10) is written without blank lines; the first blank line "
        "separates the heading from the text. Cablegate exports often show one after format "
        "line 2."},
    [CABLE_R_DE_MISSING] = {"no DE line (originating station, serial, time of file)",
        "Format line 3 'DE <RI> #<serial>[/<section>] <JJJHHMM>' names the originating station, "
        "its station serial number and the Julian time of file. The cable's identity "
        "(origin RI + serial + section + DTG) is built from it."},
    [CABLE_R_DE_MALFORMED] = {"malformed DE line",
        "Format line 3 is 'DE', the originating station's routing indicator, '#' with a "
        "four-digit station serial number and optional '/NN' section, then the time of file "
        "as three-digit Julian day and four-digit UTC hour and minute."},
    [CABLE_R_DE_FILED] = {"the time of file on the DE line does not exist",
        "The time of file is JJJHHMM: Julian day 001-366, hour 00-23, minute 00-59."},
    [CABLE_R_FL4_MISSING] = {"no security warning line (ZNR UUUUU / ZNY CCCCC ...)",
        "Format line 4 carries the security warning operating signal: ZNR for unclassified, "
        "ZNY for classified or EFTO traffic, followed by the classification letter five "
        "times, then any other operating signals (ZZH ...)."},
    [CABLE_R_FL4_MALFORMED] = {"malformed security warning",
        "The security warning is ZNR or ZNY followed by exactly five classification letters "
        "(UUUUU, EEEEE, CCCCC, SSSSS, TTTTT; the last two may be a release code such as "
        "SSSAA), separated by one space."},
    [CABLE_R_SIGNAL_UNKNOWN] = {"unknown operating signal",
        "Operating signals are three-letter Z groups from ACP 131 (ZZH, ZDK, ZFD, ZFR, ZUI, "
        "ZDS, ZEL ...) or parenthetical control strings such as (CCY ...). An unknown group "
        "may be a garble; a receiving operator queries it."},
    [CABLE_R_DTG_MALFORMED] = {"malformed date-time group line",
        "Format line 5 is the precedence letter (two letters for dual precedence, action "
        "first), one space, the DTG DDHHMMZ, the month in three capital letters and the year "
        "in two digits, then optional operating signals."},
    [CABLE_R_DTG_PREC] = {"the DTG line's precedence disagrees with format line 2",
        "Format line 2 carries the doubled form of the highest precedence in the message; "
        "the DTG line gives the action precedence (and info precedence). They must agree."},
    [CABLE_R_DEBRIS] = {"text that is not part of the ACP 127 form",
        "Only the transmission belongs on the wire: distribution blocks, page headers, "
        "export stamps and similar debris were added by the systems that stored the cable "
        "and are skipped."},
    [CABLE_R_FM_MALFORMED] = {"malformed FM line",
        "Format line 6 is 'FM' and the originator's plain-language address; the originator's "
        "routing indicator is on the DE line, not here."},
    [CABLE_R_ADDR_MALFORMED] = {"malformed addressee line",
        "An addressee line is [RI/]PLAIN LANGUAGE ADDRESS [precedence] [MCN]: the routing "
        "indicator and a slash, the plain-language address, an optional precedence word "
        "(FLASH, NIACT IMMEDIATE, IMMEDIATE, PRIORITY, ROUTINE) and an optional message "
        "continuity number (four digits, or a range for sections)."},
    [CABLE_R_ADDR_NO_RI] = {"addressee written without a routing indicator",
        "The terminal inserts the routing indicator before each plain-language address "
        "(RUEHC/SECSTATE WASHDC). Without it the switch must look the address up in its "
        "directory; an address it does not know is undeliverable."},
    [CABLE_R_ADDR_PREC] = {"unknown precedence word on an addressee line",
        "The words after an address may only be FLASH, NIACT IMMEDIATE, IMMEDIATE, PRIORITY "
        "or ROUTINE, then a message continuity number."},
    [CABLE_R_NIACT_INFO] = {"NIACT on an information addressee",
        "NIACT (night action) alerts an action addressee day or night; it is written after a "
        "TO addressee only. Information addressees handle the message in business hours."},
    [CABLE_R_BT_MISSING] = {"no BT between heading and text",
        "In the tape-relay form the prosign BT (break) separates the heading from the text, "
        "and another BT closes the text. Cablegate exports never show it."},
    [CABLE_R_CLASS_MISSING] = {"no classification line at the start of the text",
        "The text begins with the classification line: UNCLAS or the spaced-out "
        "classification (C O N F I D E N T I A L, S E C R E T), optional SECTION n OF m, "
        "the originating post and the six-digit cable number."},
    [CABLE_R_CLASS_MALFORMED] = {"malformed classification line",
        "The classification is written UNCLAS, C O N F I D E N T I A L, S E C R E T or "
        "T O P S E C R E T, letters separated by single spaces, in capitals."},
    [CABLE_R_CLASS_MISMATCH] = {"the classification disagrees with the security warning",
        "The security warning on format line 4 (ZNR UUUUU, ZNY CCCCC, ZNY SSSSS ...) must "
        "match the classification of the text, so that relays protect the message as its "
        "content requires."},
    [CABLE_R_SECTION_MISMATCH] = {"the section number disagrees with SECTION n OF m",
        "Each section of a long message is its own transmission: the '/NN' on the DE line "
        "and 'SECTION NN OF MM' on the classification line name the same section."},
    [CABLE_R_SERIAL_MISMATCH] = {"the station serial disagrees with the cable number",
        "The station serial number on the DE line is the last four digits of the cable's "
        "number on the classification line (#0352 and USUN NEW YORK 000352)."},
    [CABLE_R_EO_MALFORMED] = {"malformed E.O. line",
        "The declassification line is written 'E.O. 12958: DECL: <date>' (or the order in "
        "force), with the dots and the colon."},
    [CABLE_R_TAGS_MISSING] = {"no TAGS line",
        "Every cable carries 'TAGS:' with its subject and country tags (PGOV PREL UNSC); "
        "posts file and distribute by them."},
    [CABLE_R_TAGS_FORM] = {"TAGS not in the canonical form 'TAGS: PGOV PREL'",
        "Tags follow 'TAGS:' separated by single spaces. Commas, a missing colon or "
        "link markup such as [PGOV](#) come from reformatted copies."},
    [CABLE_R_SUBJECT_MISSING] = {"no SUBJECT line",
        "Every cable has a 'SUBJECT:' line saying what it is about; long subjects continue "
        "on the next lines."},
    [CABLE_R_NIACT_JUSTIFY] = {"NIACT cable whose first paragraph does not justify NIACT",
        "A drafter who uses NIACT IMMEDIATE must say in paragraph 1 why the addressee has to "
        "act at night."},
    [CABLE_R_TRAILER_MISSING] = {"no end of message (BT, #SSN, NNNN)",
        "On the wire a message ends with BT, the validation line # and the station serial "
        "number, and the end-of-message function NNNN. Without NNNN the receiving station "
        "cannot tell the message is complete. Cablegate exports never show it."},
    [CABLE_R_TRAILER_SSN] = {"the validation serial does not match the DE line",
        "The validation line after the final BT repeats the station serial number of the "
        "DE line ('#0352'), so that stragglers of another message are caught."},
    [CABLE_R_WS_TRAILING] = {"trailing blank at the end of a line",
        "Lines end with their last character; trailing blanks are debris of the copy and "
        "are ignored."},
    [CABLE_R_WS_DOUBLE] = {"double space in a heading line",
        "Elements of a heading line are separated by one space."},
    [CABLE_R_CRLF] = {"CR LF line ends",
        "cablesim reads lines ending in LF; CR LF ends are accepted and the CR dropped."},
    [CABLE_R_UTF8] = {"invalid UTF-8 byte sequence",
        "The text is read as UTF-8 (ASCII teletype text is a subset). Invalid sequences are "
        "kept as bytes but may show as garbage."},
    [CABLE_R_NONASCII] = {"non-ASCII character in the heading",
        "Heading lines use the teletype character set: capital letters, digits, spaces and a "
        "few signs."},
    [CABLE_R_LOWERCASE] = {"lower-case letters in a heading line",
        "Heading lines are written in capitals, as the teletype sends them."},
    [CABLE_R_LINE_LONG] = {"line longer than a teletype line can be",
        "A line of more than 64 KiB is not teletype text; it is cut for reading."},
    [CABLE_R_SPLIT_GUESSED] = {"cable boundary guessed from a DTG and FM line",
        "Cables in a stream are separated by their VZCZC start or NNNN end lines. None was "
        "found, so the boundary was guessed at a DTG line followed by an FM line."},
};

static const cable_rule_info_t *rule_table(void)
{
    static cable_rule_info_t table[CABLE_RULE_COUNT];
    static bool              built;
    if (!built) {
        static const char *const ids[] = {
#define CABLE_RULE_ID(name, id, err) id,
            CABLE_RULES(CABLE_RULE_ID)
#undef CABLE_RULE_ID
        };
        static const bool errs[] = {
#define CABLE_RULE_ERR(name, id, err) err,
            CABLE_RULES(CABLE_RULE_ERR)
#undef CABLE_RULE_ERR
        };
        for (size_t i = 0; i < CABLE_RULE_COUNT; i++) {
            table[i].id = ids[i];
            table[i].always_error = errs[i];
            table[i].message = rule_texts[i].message;
            table[i].explain = rule_texts[i].explain;
        }
        built = true;
    }
    return table;
}

const cable_rule_info_t *cable_rule_info(cable_rule_t r)
{
    if ((unsigned)r >= CABLE_RULE_COUNT)
        return NULL;
    return &rule_table()[r];
}

const cable_rule_info_t *cable_rule_lookup(const char *id)
{
    const cable_rule_info_t *t = rule_table();
    for (size_t i = 0; i < CABLE_RULE_COUNT; i++)
        if (strcmp(t[i].id, id) == 0)
            return &t[i];
    return NULL;
}

cable_sev_t cable_rule_severity(cable_rule_t r, bool strict)
{
    const cable_rule_info_t *i = cable_rule_info(r);
    if (strict || (i && i->always_error))
        return CABLE_SEV_ERROR;
    return CABLE_SEV_WARNING;
}

const char *cable_sev_word(cable_sev_t s)
{
    return s == CABLE_SEV_ERROR ? "error" : "warning";
}

int cable_diag_format(const char *file, const cable_diag_t *d, char *buf, size_t size)
{
    const cable_rule_info_t *i = cable_rule_info((cable_rule_t)d->rule);
    return snprintf(buf, size, "%s:%u:%u: %s: %s%s%s [%s]", file ? file : "-", d->line, d->col,
                    cable_sev_word((cable_sev_t)d->severity), i ? i->message : "?",
                    d->detail ? ": " : "", d->detail ? d->detail : "", i ? i->id : "?");
}
