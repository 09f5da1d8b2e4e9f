/*
 * cable_gen_text.c - the prose of synthetic cables: post names and their
 * countries, subjects, tags, portion marks and paragraphs, built from the
 * project's own small vocabulary of invented diplomatic phrases (nothing here
 * comes from a real cable). Every choice goes through the generator's PRNG,
 * so the prose is as deterministic as the rest of a generated cable.
 *
 * Wrapping replaces one blank with one newline, so a paragraph's length is
 * known before it is wrapped; the exact-size mode of the generator relies on
 * that. Failure modes: none (allocation failure aborts).
 */
#include "cable_gen_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* --- buffers ------------------------------------------------------------ */

void cable_gen__put(cable_gen__buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (b->len + n + 1 > cap)
            cap *= 2;
        b->p = sim_xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void cable_gen__puts(cable_gen__buf_t *b, const char *s)
{
    cable_gen__put(b, s, strlen(s));
}

void cable_gen__putf(cable_gen__buf_t *b, const char *fmt, ...)
{
    char    tmp[512];
    va_list ap;
    int     n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        cable_gen__put(b, tmp, SIM_MIN((size_t)n, sizeof(tmp) - 1));
}

void cable_gen__buf_free(cable_gen__buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* --- posts and countries ------------------------------------------------ */

/* Leading words of a plain-language address that name the kind of post. */
static const char *const pla_kinds[] = {
    "AMEMBASSY ", "AMCONSUL ", "USMISSION ", "USINT ", "AIT ", "USLO ", "USDEL ", "REO ", "RPO ",
};

void cable_gen__post_name(const char *pla, char *out, size_t size)
{
    const char *p = pla;
    size_t      n;
    if (strncmp(pla, "SECSTATE", 8) == 0) {
        snprintf(out, size, "STATE");
        return;
    }
    for (size_t i = 0; i < SIM_ARRAY_LEN(pla_kinds); i++) {
        size_t k = strlen(pla_kinds[i]);
        if (strncmp(pla, pla_kinds[i], k) == 0 && pla[k]) {
            p = pla + k;
            break;
        }
    }
    n = strlen(p);
    /* Departments: "CIA WASHINGTON DC" -> "CIA". */
    if (n > 14 && strcmp(p + n - 14, " WASHINGTON DC") == 0)
        n -= 14;
    else if (n > 7 && strcmp(p + n - 7, " WASHDC") == 0)
        n -= 7;
    snprintf(out, size, "%.*s", (int)n, p);
}

typedef struct post_country {
    const char *post;
    const char *code;
} post_country_t;

typedef struct country_name {
    const char *code;
    const char *name;
} country_name_t;

/* Country tags are the two-letter codes used on TAGS lines. */
static const country_name_t countries[] = {
    {"AE", "UAE"}, {"AF", "AFGHANISTAN"}, {"AG", "ALGERIA"}, {"AJ", "AZERBAIJAN"},
    {"AL", "ALBANIA"}, {"AM", "ARMENIA"}, {"AO", "ANGOLA"}, {"AR", "ARGENTINA"},
    {"AS", "AUSTRALIA"}, {"AU", "AUSTRIA"}, {"BA", "BAHRAIN"}, {"BC", "BOTSWANA"},
    {"BE", "BELGIUM"}, {"BG", "BANGLADESH"}, {"BK", "BOSNIA"}, {"BL", "BOLIVIA"},
    {"BM", "BURMA"}, {"BO", "BELARUS"}, {"BR", "BRAZIL"}, {"BU", "BULGARIA"},
    {"BY", "BURUNDI"}, {"CA", "CANADA"}, {"CB", "CAMBODIA"}, {"CD", "CHAD"},
    {"CE", "SRI LANKA"}, {"CG", "DRC"}, {"CH", "CHINA"}, {"CI", "CHILE"},
    {"CM", "CAMEROON"}, {"CO", "COLOMBIA"}, {"CS", "COSTA RICA"}, {"CU", "CUBA"},
    {"CY", "CYPRUS"}, {"DA", "DENMARK"}, {"DJ", "DJIBOUTI"}, {"DR", "DOMINICAN REPUBLIC"},
    {"EC", "ECUADOR"}, {"EG", "EGYPT"}, {"EI", "IRELAND"}, {"EN", "ESTONIA"},
    {"ER", "ERITREA"}, {"ES", "EL SALVADOR"}, {"ET", "ETHIOPIA"}, {"EZ", "CZECH REPUBLIC"},
    {"FI", "FINLAND"}, {"FR", "FRANCE"}, {"GG", "GEORGIA"}, {"GH", "GHANA"},
    {"GM", "GERMANY"}, {"GR", "GREECE"}, {"GT", "GUATEMALA"}, {"HA", "HAITI"},
    {"HK", "HONG KONG"}, {"HO", "HONDURAS"}, {"HR", "CROATIA"}, {"HU", "HUNGARY"},
    {"IC", "ICELAND"}, {"ID", "INDONESIA"}, {"IN", "INDIA"}, {"IR", "IRAN"},
    {"IS", "ISRAEL"}, {"IT", "ITALY"}, {"IZ", "IRAQ"}, {"JA", "JAPAN"},
    {"JO", "JORDAN"}, {"KE", "KENYA"}, {"KG", "KYRGYZSTAN"}, {"KS", "SOUTH KOREA"},
    {"KU", "KUWAIT"}, {"KZ", "KAZAKHSTAN"}, {"LA", "LAOS"}, {"LE", "LEBANON"},
    {"LG", "LATVIA"}, {"LH", "LITHUANIA"}, {"LI", "LIBERIA"}, {"LO", "SLOVAKIA"},
    {"LY", "LIBYA"}, {"MA", "MADAGASCAR"}, {"MD", "MOLDOVA"}, {"MG", "MONGOLIA"},
    {"MK", "MACEDONIA"}, {"ML", "MALI"}, {"MO", "MOROCCO"}, {"MR", "MAURITANIA"},
    {"MU", "OMAN"}, {"MX", "MEXICO"}, {"MY", "MALAYSIA"}, {"MZ", "MOZAMBIQUE"},
    {"NG", "NIGER"}, {"NI", "NIGERIA"}, {"NL", "NETHERLANDS"}, {"NO", "NORWAY"},
    {"NP", "NEPAL"}, {"NU", "NICARAGUA"}, {"NZ", "NEW ZEALAND"}, {"PA", "PARAGUAY"},
    {"PE", "PERU"}, {"PK", "PAKISTAN"}, {"PL", "POLAND"}, {"PM", "PANAMA"},
    {"PO", "PORTUGAL"}, {"QA", "QATAR"}, {"RO", "ROMANIA"}, {"RP", "PHILIPPINES"},
    {"RS", "RUSSIA"}, {"RW", "RWANDA"}, {"SA", "SAUDI ARABIA"}, {"SF", "SOUTH AFRICA"},
    {"SG", "SENEGAL"}, {"SI", "SLOVENIA"}, {"SL", "SIERRA LEONE"}, {"SN", "SINGAPORE"},
    {"SO", "SOMALIA"}, {"SP", "SPAIN"}, {"SR", "SERBIA"}, {"SU", "SUDAN"},
    {"SW", "SWEDEN"}, {"SY", "SYRIA"}, {"SZ", "SWITZERLAND"}, {"TH", "THAILAND"},
    {"TI", "TAJIKISTAN"}, {"TS", "TUNISIA"}, {"TU", "TURKEY"}, {"TW", "TAIWAN"},
    {"TX", "TURKMENISTAN"}, {"TZ", "TANZANIA"}, {"UG", "UGANDA"}, {"UK", "UK"},
    {"UP", "UKRAINE"}, {"UV", "BURKINA FASO"}, {"UY", "URUGUAY"}, {"UZ", "UZBEKISTAN"},
    {"VE", "VENEZUELA"}, {"VM", "VIETNAM"}, {"WA", "NAMIBIA"}, {"YM", "YEMEN"},
    {"ZA", "ZAMBIA"}, {"ZI", "ZIMBABWE"},
};

/* Post (short name) -> country code. Sorted by post for bsearch. */
static const post_country_t posts[] = {
    {"ABU DHABI", "AE"}, {"ABUJA", "NI"}, {"ACCRA", "GH"}, {"ADANA", "TU"},
    {"ADDIS ABABA", "ET"}, {"ALGIERS", "AG"}, {"ALMATY", "KZ"}, {"AMMAN", "JO"},
    {"ANKARA", "TU"}, {"ANTANANARIVO", "MA"}, {"ASHGABAT", "TX"}, {"ASMARA", "ER"},
    {"ASTANA", "KZ"}, {"ASUNCION", "PA"}, {"ATHENS", "GR"}, {"BAGHDAD", "IZ"},
    {"BAKU", "AJ"}, {"BAMAKO", "ML"}, {"BANGKOK", "TH"}, {"BARCELONA", "SP"},
    {"BASRAH", "IZ"}, {"BEIJING", "CH"}, {"BEIRUT", "LE"}, {"BELGRADE", "SR"},
    {"BERLIN", "GM"}, {"BERN", "SZ"}, {"BISHKEK", "KG"}, {"BOGOTA", "CO"},
    {"BRASILIA", "BR"}, {"BRATISLAVA", "LO"}, {"BRUSSELS", "BE"}, {"BUCHAREST", "RO"},
    {"BUDAPEST", "HU"}, {"BUENOS AIRES", "AR"}, {"BUJUMBURA", "BY"}, {"CAIRO", "EG"},
    {"CANBERRA", "AS"}, {"CAPE TOWN", "SF"}, {"CARACAS", "VE"}, {"CASABLANCA", "MO"},
    {"CHENNAI", "IN"}, {"CHIANG MAI", "TH"}, {"CHISINAU", "MD"}, {"COLOMBO", "CE"},
    {"COPENHAGEN", "DA"}, {"DAKAR", "SG"}, {"DAMASCUS", "SY"}, {"DAR ES SALAAM", "TZ"},
    {"DHAKA", "BG"}, {"DHAHRAN", "SA"}, {"DJIBOUTI", "DJ"}, {"DOHA", "QA"},
    {"DUBAI", "AE"}, {"DUBLIN", "EI"}, {"DUSHANBE", "TI"}, {"ERBIL", "IZ"},
    {"FRANKFURT", "GM"}, {"FREETOWN", "SL"}, {"GABORONE", "BC"}, {"GUADALAJARA", "MX"},
    {"GUANGZHOU", "CH"}, {"GUATEMALA", "GT"}, {"HAMBURG", "GM"}, {"HANOI", "VM"},
    {"HARARE", "ZI"}, {"HAVANA", "CU"}, {"HELSINKI", "FI"}, {"HO CHI MINH CITY", "VM"},
    {"HONG KONG", "HK"}, {"ISLAMABAD", "PK"}, {"ISTANBUL", "TU"}, {"JAKARTA", "ID"},
    {"JEDDAH", "SA"}, {"JERUSALEM", "IS"}, {"KABUL", "AF"}, {"KAMPALA", "UG"},
    {"KARACHI", "PK"}, {"KATHMANDU", "NP"}, {"KHARTOUM", "SU"}, {"KIEV", "UP"},
    {"KIGALI", "RW"}, {"KINSHASA", "CG"}, {"KUALA LUMPUR", "MY"}, {"KUWAIT", "KU"},
    {"KYIV", "UP"}, {"LA PAZ", "BL"}, {"LAGOS", "NI"}, {"LAHORE", "PK"},
    {"LIMA", "PE"}, {"LISBON", "PO"}, {"LJUBLJANA", "SI"}, {"LONDON", "UK"},
    {"LUANDA", "AO"}, {"LUSAKA", "ZA"}, {"MADRID", "SP"}, {"MANAGUA", "NU"},
    {"MANAMA", "BA"}, {"MANILA", "RP"}, {"MAPUTO", "MZ"}, {"MEXICO", "MX"},
    {"MILAN", "IT"}, {"MINSK", "BO"}, {"MONROVIA", "LI"}, {"MONTERREY", "MX"},
    {"MONTEVIDEO", "UY"}, {"MOSCOW", "RS"}, {"MUMBAI", "IN"}, {"MUNICH", "GM"},
    {"MUSCAT", "MU"}, {"NAIROBI", "KE"}, {"NDJAMENA", "CD"}, {"NEW DELHI", "IN"},
    {"NIAMEY", "NG"}, {"NICOSIA", "CY"}, {"NOUAKCHOTT", "MR"}, {"OSLO", "NO"},
    {"OTTAWA", "CA"}, {"OUAGADOUGOU", "UV"}, {"PANAMA", "PM"}, {"PARIS", "FR"},
    {"PESHAWAR", "PK"}, {"PHNOM PENH", "CB"}, {"PORT AU PRINCE", "HA"}, {"PRAGUE", "EZ"},
    {"PRETORIA", "SF"}, {"QUITO", "EC"}, {"RABAT", "MO"}, {"RANGOON", "BM"},
    {"REYKJAVIK", "IC"}, {"RIGA", "LG"}, {"RIO DE JANEIRO", "BR"}, {"RIYADH", "SA"},
    {"ROME", "IT"}, {"SAN JOSE", "CS"}, {"SAN SALVADOR", "ES"}, {"SANAA", "YM"},
    {"SANTIAGO", "CI"}, {"SANTO DOMINGO", "DR"}, {"SAO PAULO", "BR"}, {"SARAJEVO", "BK"},
    {"SEOUL", "KS"}, {"SHANGHAI", "CH"}, {"SINGAPORE", "SN"}, {"SKOPJE", "MK"},
    {"SOFIA", "BU"}, {"ST PETERSBURG", "RS"}, {"STOCKHOLM", "SW"}, {"TAIPEI", "TW"},
    {"TALLINN", "EN"}, {"TASHKENT", "UZ"}, {"TBILISI", "GG"}, {"TEGUCIGALPA", "HO"},
    {"TEL AVIV", "IS"}, {"THE HAGUE", "NL"}, {"TIRANA", "AL"}, {"TOKYO", "JA"},
    {"TORONTO", "CA"}, {"TRIPOLI", "LY"}, {"TUNIS", "TS"}, {"ULAANBAATAR", "MG"},
    {"VIENNA", "AU"}, {"VIENTIANE", "LA"}, {"VILNIUS", "LH"}, {"VLADIVOSTOK", "RS"},
    {"WARSAW", "PL"}, {"WELLINGTON", "NZ"}, {"WINDHOEK", "WA"}, {"YAOUNDE", "CM"},
    {"YEKATERINBURG", "RS"}, {"YEREVAN", "AM"}, {"ZAGREB", "HR"},
};

static int cmp_post(const void *key, const void *elem)
{
    return strcmp(key, ((const post_country_t *)elem)->post);
}

static int cmp_code(const void *key, const void *elem)
{
    return strcmp(key, ((const country_name_t *)elem)->code);
}

bool cable_gen__country(const char *post, const char **country, const char **ccode)
{
    const post_country_t *pc =
        bsearch(post, posts, SIM_ARRAY_LEN(posts), sizeof(posts[0]), cmp_post);
    const country_name_t *cn;
    if (!pc)
        return false;
    cn = bsearch(pc->code, countries, SIM_ARRAY_LEN(countries), sizeof(countries[0]), cmp_code);
    if (!cn)
        return false;
    *country = cn->name;
    *ccode = cn->code;
    return true;
}

/* --- vocabulary --------------------------------------------------------- */

typedef struct topic {
    const char *phrase; /* lower case, as used in a sentence */
    const char *tag1, *tag2;
} topic_t;

static const topic_t topics[] = {
    {"fuel subsidy reform", "EPET", "ECON"},
    {"the draft electoral law", "KDEM", "PGOV"},
    {"the border demarcation talks", "PREL", "PBTS"},
    {"the regional security initiative", "PREL", "MARR"},
    {"plans for the donor conference", "EAID", "PREL"},
    {"the new investment code", "EINV", "ECON"},
    {"the port concession", "ECON", "ETRD"},
    {"counternarcotics cooperation", "SNAR", "KCRM"},
    {"visa facilitation", "CVIS", "PREL"},
    {"the water sharing accord", "SENV", "PREL"},
    {"judicial appointments", "KJUS", "PGOV"},
    {"amendments to the press law", "KPAO", "PHUM"},
    {"refugee returns", "PREF", "PHUM"},
    {"arms export controls", "PARM", "ETTC"},
    {"telecom privatization", "ECPS", "EINV"},
    {"the public health campaign", "TBIO", "SOCI"},
    {"the grain import tender", "EAGR", "ETRD"},
    {"the anti-corruption bill", "KCOR", "PGOV"},
    {"the civil nuclear agreement", "KNNP", "ENRG"},
    {"maritime security patrols", "MARR", "PHSA"},
    {"the budget deficit", "EFIN", "ECON"},
    {"labor law reform", "ELAB", "ECON"},
    {"trafficking in persons", "KTIP", "PHUM"},
    {"counterterrorism cooperation", "PTER", "PREL"},
    {"the peacekeeping mandate", "PREL", "MOPS"},
    {"the municipal elections", "KDEM", "PGOV"},
    {"the constitutional review", "PGOV", "KDEM"},
    {"electricity tariffs", "ENRG", "ECON"},
    {"intellectual property enforcement", "KIPR", "ETRD"},
    {"the free trade negotiations", "ETRD", "PREL"},
    {"airport security screening", "EAIR", "PTER"},
    {"the minority language law", "PHUM", "PGOV"},
    {"military modernization plans", "MARR", "MCAP"},
    {"the sovereign debt rating", "EFIN", "ECON"},
    {"student exchange programs", "KPAO", "SCUL"},
    {"avian influenza preparedness", "KFLU", "TBIO"},
    {"customs modernization", "ETRD", "ECON"},
    {"the disputed mining license", "EMIN", "EINV"},
    {"prison conditions", "PHUM", "KJUS"},
    {"rumors of a cabinet reshuffle", "PGOV", "PINR"},
};

uint32_t cable_gen__topic_count(void)
{
    return (uint32_t)SIM_ARRAY_LEN(topics);
}

/* Sentence subjects (capitalised) and the same people as objects. */
static const char *const actors[] = {
    "The Foreign Minister", "The Deputy Foreign Minister", "The Finance Minister",
    "A senior presidential adviser", "The Speaker of Parliament",
    "The chair of the election commission", "An opposition party leader",
    "The central bank governor", "The ministry's director for the Americas",
    "A well-placed business contact", "A veteran local journalist", "A think-tank analyst",
    "The Interior Minister", "The Chief of Defense Staff", "The Minister of Energy",
    "The mayor of the capital", "A senior ruling-party official",
    "The head of the chamber of commerce", "A human rights lawyer",
    "The UN resident coordinator", "A Western diplomat", "The Trade Minister",
    "The Health Minister", "The Prime Minister's chief of staff",
    "A retired general with close ties to the palace", "The parliamentary budget committee chair",
};

static const char *const officers[] = {
    "PolOff", "EconOff", "the Ambassador", "the DCM", "PolCouns", "EconCouns", "the Charge",
    "the DATT", "PolEconOff", "visiting Department officials", "the RSO", "PAO",
};

/* Who meets people when the Department writes. */
static const char *const officers_state[] = {
    "the Assistant Secretary", "the Deputy Assistant Secretary", "Department officials",
    "the desk officer", "the Under Secretary", "the Special Envoy",
};

static const char *officer(cable_gen__rng_t *r, const cable_gen__story_t *s)
{
    return s->from_state ? CABLE_GEN__ONE_OF(r, officers_state) : CABLE_GEN__ONE_OF(r, officers);
}

/* Who does things, with their grammatical number. */
typedef struct group {
    const char *name;
    bool        plural;
} group_t;

static const group_t groups[] = {
    {"the government", false},     {"the cabinet", false},        {"parliament", false},
    {"the ruling coalition", false}, {"the opposition", false},   {"the ministry", false},
    {"the security services", true}, {"the president", false},    {"donors", true},
    {"regional partners", true},   {"the central bank", false},   {"provincial authorities", true},
    {"the courts", true},          {"business leaders", true},    {"the armed forces", true},
    {"the prime minister", false},
};

/* Singular and plural forms. */
static const char *const modals[][2] = {
    {"would", "would"},
    {"was unlikely to", "were unlikely to"},
    {"intended to", "intended to"},
    {"had agreed to", "had agreed to"},
    {"was prepared to", "were prepared to"},
    {"could not yet", "could not yet"},
    {"hoped to", "hoped to"},
    {"had decided to", "had decided to"},
    {"was under pressure to", "were under pressure to"},
    {"might", "might"},
    {"was expected to", "were expected to"},
    {"had quietly moved to", "had quietly moved to"},
};

static const char *const actions[][2] = {
    {"revisit", "revisit"},
    {"approve", "approve"},
    {"postpone", "postpone"},
    {"finalize", "finalize"},
    {"reopen talks on", "reopen talks on"},
    {"publish", "publish"},
    {"soften its position on", "soften their position on"},
    {"seek outside help with", "seek outside help with"},
    {"take a decision on", "take a decision on"},
    {"fund", "fund"},
    {"put new conditions on", "put new conditions on"},
    {"hold hearings on", "hold hearings on"},
};

static const char *const timeframes[] = {
    "before the end of the month", "after the budget vote", "within weeks",
    "in the coming session", "before the donor conference", "by the end of the year",
    "once the new cabinet is seated", "before the holiday recess", "after the summit",
    "in the spring", "",
};

static const char *const sources[] = {
    "a senior ministry contact", "press reports", "a diplomat from a neighboring country",
    "an official close to the presidency", "several business contacts",
    "an NGO representative", "a member of the negotiating team", "local observers",
};

static const char *const us_actions[] = {
    "support a technical assistance program", "send an observer delegation",
    "raise the matter with regional partners", "ease visa requirements for officials",
    "co-sponsor a resolution on the issue", "expand training for customs officers",
    "reconsider its travel advisory", "host a working group in Washington",
    "share its own experience with similar reforms",
};

static const char *const policy_acts[] = {
    "keep the reform on schedule", "consult openly with the opposition",
    "publish the draft text", "engage constructively with donors",
    "protect the independence of the courts", "allow international observers full access",
    "resolve the dispute through dialogue", "make the process more transparent",
};

static const char *const descriptions[] = {
    "a test of the government's credibility", "the most pressing item on the agenda",
    "largely symbolic", "a matter for the next government", "long overdue",
    "a distraction from more serious problems", "popular but expensive",
    "the price of keeping the coalition together",
};

static const char *const meetings[] = {
    "meeting", "call", "working lunch", "courtesy call", "dinner", "briefing",
};

static const char *const report_verbs[] = {"told", "assured", "briefed", "cautioned"};

static const char *const niact_reasons[] = {
    "the ministry announces its decision at 0800 local time, before the Department opens",
    "the vote is scheduled for the morning session and instructions are needed overnight",
    "the delegation departs before the Department opens",
    "host government officials asked for a reply before their early morning meeting",
    "the deadline set by the host government falls before business hours in Washington",
};

static const char *const months_long[12] = {
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
};

/* Subject pieces, in capitals. */
static const char *const subject_actors[] = {
    "CABINET", "PARLIAMENT", "OPPOSITION", "CENTRAL BANK", "FOREIGN MINISTER", "PRESIDENT",
    "PRIME MINISTER", "FINANCE MINISTRY", "ELECTION COMMISSION", "RULING PARTY",
    "ARMED FORCES", "SUPREME COURT", "BUSINESS LEADERS", "UNIONS", "GOVERNMENT",
};

static const char *const subject_verbs[] = {
    "WEIGHS", "BACKS", "DELAYS", "QUESTIONS", "WELCOMES", "PUSHES", "REJECTS", "REVIEWS",
    "SIGNALS FLEXIBILITY ON", "SEEKS U.S. VIEWS ON", "PREPARES FOR", "DEBATES", "STALLS ON",
    "OPENS TALKS ON",
};

static const char *const subject_replies[] = {
    "HOST GOVERNMENT RECEPTIVE", "NO COMMITMENT YET", "MINISTRY TO STUDY POINTS",
    "MIXED RESPONSE", "OFFICIALS PROMISE FOLLOW-UP",
};

static const char *const visitors[] = {
    "THE DEPUTY SECRETARY'S", "THE TRADE REPRESENTATIVE'S", "CODEL",
    "THE ASSISTANT SECRETARY'S", "THE UNDER SECRETARY'S",
};

static const char *const surnames[] = {
    "ABERNATHY", "BRANDVOLD", "CALLOWAY", "DESROCHES", "ELLSWORTH", "FAIRBANKS",
    "GALLOWAY", "HALVORSEN", "ISHERWOOD", "JAROSZ", "KETTERING", "LINDQVIST", "MARCHETTI",
    "NORBERG", "OKONKWO", "PEMBERTON", "QUARLES", "RADCLIFFE", "SANDOVAL", "THORNBURY",
    "UPSHAW", "VANDERMEER", "WHITCOMB", "YARBOROUGH", "ZELINSKI", "ASHCROFT-LYLE",
    "BELLAMY", "CORRIGAN", "DUNSMORE", "EVERHART", "FITZGIBBON", "GRANTHAM", "HOLLISTER",
    "KINCAID", "MERRIWEATHER", "OSTRANDER", "PRESCOTT", "ROWLEY", "STANBURY", "TREMAINE",
};

const char *cable_gen__surname(uint64_t h)
{
    return surnames[h % SIM_ARRAY_LEN(surnames)];
}

/* --- small helpers ------------------------------------------------------ */

static void put_upper(cable_gen__buf_t *b, const char *s)
{
    for (; *s; s++) {
        char ch = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
        cable_gen__put(b, &ch, 1);
    }
}

/* A topic phrase without its article, for subjects. */
static const char *bare(const char *phrase)
{
    if (strncmp(phrase, "the ", 4) == 0)
        return phrase + 4;
    if (strncmp(phrase, "a ", 2) == 0)
        return phrase + 2;
    return phrase;
}

static void put_lower_first(cable_gen__buf_t *b, const char *s)
{
    char ch = s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') ? (char)(s[0] + 32)
                                                                             : s[0];
    cable_gen__put(b, &ch, 1);
    cable_gen__puts(b, s + 1);
}

/* "March 4": a day shortly before the cable's DTG. */
static void put_recent_date(cable_gen__rng_t *r, const cable_gen__story_t *s, cable_gen__buf_t *b)
{
    cable_dtg_t d = cable_dtg_from_epoch(s->when - (int64_t)cable_gen__range(r, 0, 6) * 86400);
    cable_gen__putf(b, "%s %u", months_long[(d.month + 11) % 12], (unsigned)d.day);
}

static const topic_t *story_topic(const cable_gen__story_t *s)
{
    return &topics[s->topic % SIM_ARRAY_LEN(topics)];
}

/* A topic: the story's own most of the time, sometimes a neighbouring one. */
static const char *some_topic(cable_gen__rng_t *r, const cable_gen__story_t *s)
{
    static const char *const again[] = {"the issue", "the proposal", "the matter"};
    uint32_t                 x = cable_gen__below(r, 100);
    if (x < 50)
        return story_topic(s)->phrase;
    if (x < 65)
        return CABLE_GEN__ONE_OF(r, again);
    return CABLE_GEN__ONE_OF(r, topics).phrase;
}

/* "the cabinet would revisit fuel subsidy reform after the budget vote" */
static void put_clause(cable_gen__rng_t *r, const cable_gen__story_t *s, cable_gen__buf_t *b)
{
    const group_t *gr = &CABLE_GEN__ONE_OF(r, groups);
    const char    *tf = CABLE_GEN__ONE_OF(r, timeframes);
    cable_gen__putf(b, "%s %s %s %s", gr->name, CABLE_GEN__ONE_OF(r, modals)[gr->plural],
                    CABLE_GEN__ONE_OF(r, actions)[gr->plural], some_topic(r, s));
    if (*tf)
        cable_gen__putf(b, " %s", tf);
}

/* One sentence; '*last' is the form used before, not used twice running. */
static void put_sentence(cable_gen__rng_t *r, const cable_gen__story_t *s, cable_gen__buf_t *b,
                         uint32_t *last)
{
    uint32_t form = cable_gen__below(r, 14);
    if (form == *last)
        form = (form + 1 + cable_gen__below(r, 13)) % 14;
    *last = form;
    switch (form) {
    case 0:
        cable_gen__putf(b, "%s told %s on ", CABLE_GEN__ONE_OF(r, actors),
                        officer(r, s));
        put_recent_date(r, s, b);
        cable_gen__puts(b, " that ");
        put_clause(r, s, b);
        break;
    case 1:
        cable_gen__putf(b, "%s said privately that ", CABLE_GEN__ONE_OF(r, actors));
        put_clause(r, s, b);
        cable_gen__puts(b, ", but added that ");
        put_clause(r, s, b);
        break;
    case 2:
        cable_gen__putf(b, "According to %s, ", CABLE_GEN__ONE_OF(r, sources));
        put_clause(r, s, b);
        break;
    case 3:
        cable_gen__putf(b, "%s expressed concern that ", CABLE_GEN__ONE_OF(r, actors));
        put_clause(r, s, b);
        break;
    case 4:
        cable_gen__puts(b, s->from_state ? "The Department assesses that " : "Post assesses that ");
        put_clause(r, s, b);
        break;
    case 5: {
        const group_t *gr = &CABLE_GEN__ONE_OF(r, groups);
        const char    *tf = CABLE_GEN__ONE_OF(r, timeframes);
        cable_gen__putf(b, "We expect %s to %s %s", gr->name,
                        CABLE_GEN__ONE_OF(r, actions)[gr->plural], some_topic(r, s));
        if (*tf)
            cable_gen__putf(b, " %s", tf);
        break;
    }
    case 6:
        cable_gen__putf(b, "%s asked whether the United States would %s",
                        CABLE_GEN__ONE_OF(r, actors), CABLE_GEN__ONE_OF(r, us_actions));
        break;
    case 7: {
        const char *o = officer(r, s);
        char        first = o[0] >= 'a' && o[0] <= 'z' ? (char)(o[0] - 32) : o[0];
        cable_gen__put(b, &first, 1);
        cable_gen__putf(b, "%s urged ", o + 1);
        put_lower_first(b, CABLE_GEN__ONE_OF(r, actors));
        cable_gen__putf(b, " to %s", CABLE_GEN__ONE_OF(r, policy_acts));
        break;
    }
    case 8:
        cable_gen__puts(b, "The local press has reported that ");
        put_clause(r, s, b);
        break;
    case 9:
        cable_gen__puts(b, "Contacts across the political spectrum agree that ");
        put_clause(r, s, b);
        break;
    case 10:
        cable_gen__putf(b, "%s described %s as %s", CABLE_GEN__ONE_OF(r, actors),
                        some_topic(r, s), CABLE_GEN__ONE_OF(r, descriptions));
        break;
    case 11:
        cable_gen__putf(b, "The government has made no public statement on %s",
                        some_topic(r, s));
        break;
    case 12:
        cable_gen__putf(b, "%s welcomed continued U.S. engagement on %s",
                        CABLE_GEN__ONE_OF(r, actors), some_topic(r, s));
        break;
    default:
        cable_gen__putf(b, "In a %s on ", CABLE_GEN__ONE_OF(r, meetings));
        put_recent_date(r, s, b);
        cable_gen__puts(b, ", ");
        put_lower_first(b, CABLE_GEN__ONE_OF(r, actors));
        cable_gen__putf(b, " %s %s that ", CABLE_GEN__ONE_OF(r, report_verbs),
                        officer(r, s));
        put_clause(r, s, b);
        break;
    }
    cable_gen__puts(b, ".");
}

/* --- public pieces ------------------------------------------------------ */

void cable_gen__subject(cable_gen__rng_t *r, const cable_gen__story_t *s, cable_gen__buf_t *out)
{
    const char *t = bare(story_topic(s)->phrase);
    uint32_t    form = cable_gen__below(r, 10);
    if (s->from_state) {
        switch (form % 4) {
        case 0: cable_gen__puts(out, "DEMARCHE REQUEST: "); put_upper(out, t); break;
        case 1: cable_gen__puts(out, "GUIDANCE ON "); put_upper(out, t); break;
        case 2: put_upper(out, t); cable_gen__puts(out, ": POINTS FOR POSTS"); break;
        default: cable_gen__puts(out, "REQUEST FOR VIEWS ON "); put_upper(out, t); break;
        }
        return;
    }
    if (form < 5) {
        if (s->country && form < 3)
            cable_gen__putf(out, "%s: ", s->country);
        cable_gen__putf(out, "%s %s ", CABLE_GEN__ONE_OF(r, subject_actors),
                        CABLE_GEN__ONE_OF(r, subject_verbs));
        put_upper(out, t);
    } else if (form < 7) {
        cable_gen__puts(out, "DEMARCHE ON ");
        put_upper(out, t);
        cable_gen__putf(out, ": %s", CABLE_GEN__ONE_OF(r, subject_replies));
    } else if (form < 8) {
        cable_gen__putf(out, "SCENESETTER FOR %s VISIT TO %s", CABLE_GEN__ONE_OF(r, visitors),
                        s->country ? s->country : s->post);
    } else if (form < 9 && s->action) {
        cable_gen__puts(out, "REQUEST FOR GUIDANCE ON ");
        put_upper(out, t);
    } else {
        put_upper(out, t);
        cable_gen__putf(out, ": %s %s PRESSURE", CABLE_GEN__ONE_OF(r, subject_actors),
                        cable_gen__chance(r, 500) ? "UNDER" : "FACES");
    }
}

void cable_gen__tags(cable_gen__rng_t *r, const cable_gen__story_t *s, cable_gen__buf_t *out)
{
    const topic_t *t = story_topic(s);
    const char    *v[6];
    uint32_t       n = 0;
    v[n++] = t->tag1;
    v[n++] = t->tag2;
    if (cable_gen__chance(r, 500) && strcmp(t->tag1, "PREL") != 0 && strcmp(t->tag2, "PREL") != 0)
        v[n++] = "PREL";
    if (cable_gen__chance(r, 300) && strcmp(t->tag2, "PGOV") != 0 && strcmp(t->tag1, "PGOV") != 0)
        v[n++] = "PGOV";
    if (strstr(s->post, "USUN"))
        v[n++] = "UNSC";
    else if (strstr(s->post, "NATO"))
        v[n++] = "NATO";
    else if (s->ccode)
        v[n++] = s->ccode;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            cable_gen__puts(out, " ");
        cable_gen__puts(out, v[i]);
    }
}

const char *cable_gen__mark(cable_gen__rng_t *r, const cable_gen__story_t *s, bool first)
{
    uint32_t x = cable_gen__below(r, 100);
    switch (s->cls) {
    case CABLE_CLASS_SECRET:
        if (first)
            return s->noforn ? "S/NF" : "S";
        if (s->noforn)
            return x < 55 ? "S/NF" : x < 70 ? "S" : x < 93 ? "C" : "U";
        return x < 55 ? "S" : x < 95 ? "C" : "U";
    case CABLE_CLASS_CONFIDENTIAL:
        if (first)
            return s->noforn ? "C/NF" : "C";
        if (s->noforn)
            return x < 50 ? "C/NF" : x < 88 ? "C" : "U";
        return x < 78 ? "C" : x < 90 ? "SBU" : "U";
    default:
        if (s->sensitive)
            return x < 85 || first ? "SBU" : "U";
        return "U";
    }
}

void cable_gen__paragraph(cable_gen__rng_t *r, const cable_gen__story_t *s,
                          cable_gen__para_t kind, uint32_t target, cable_gen__buf_t *out)
{
    size_t   start = out->len;
    uint32_t last = UINT32_MAX;
    if ((kind == CABLE_GEN__PARA_FIRST || kind == CABLE_GEN__PARA_SUMMARY || 
         kind == CABLE_GEN__PARA_NIACT) && s->niact) {
        cable_gen__putf(out, "This is a NIACT action request: NIACT IMMEDIATE is used because %s.",
                        CABLE_GEN__ONE_OF(r, niact_reasons));
        if (kind == CABLE_GEN__PARA_NIACT || out->len - start + 40 >= target)
            return;
        cable_gen__puts(out, " ");
    }
    if (kind == CABLE_GEN__PARA_NIACT)
        return;
    if (kind == CABLE_GEN__PARA_ACTION) {
        if (s->from_state)
            cable_gen__putf(out, "Action request: Department requests that addressees raise %s "
                                 "with appropriate host government officials and report any "
                                 "response by ",
                            story_topic(s)->phrase);
        else
            cable_gen__putf(out, "Action request: Post requests Department guidance on %s by ",
                            story_topic(s)->phrase);
        {
            cable_gen__story_t later = *s;
            later.when += 14 * 86400;
            put_recent_date(r, &later, out);
        }
        cable_gen__puts(out, ".");
        return;
    }
    if (kind == CABLE_GEN__PARA_SUMMARY)
        cable_gen__puts(out, "Summary: ");
    else if (kind == CABLE_GEN__PARA_COMMENT)
        cable_gen__puts(out, "Comment: ");
    for (int k = 0;; k++) {
        if (k)
            cable_gen__puts(out, " ");
        put_sentence(r, s, out, &last);
        if (out->len - start + 40 >= target || k >= 12)
            break;
    }
    if (kind == CABLE_GEN__PARA_SUMMARY)
        cable_gen__puts(out, " End summary.");
    else if (kind == CABLE_GEN__PARA_COMMENT)
        cable_gen__puts(out, " End comment.");
}

/* Words that fill an exact length: index = length. */
static const char *const exact_words[13] = {
    NULL, NULL, "so", "now", "soon", "again", "openly", "quietly", "formally", "carefully",
    "informally", "immediately", "deliberately",
};
static const char *const middle_words[] = {
    "closely", "and", "will", "consult", "partners", "as", "needed", "in", "the", "coming",
    "days", "further",
};

/* Exactly t bytes (t >= 6): a short sentence padded with filler words. */
static void tail_exact(cable_gen__rng_t *r, size_t t, cable_gen__buf_t *out)
{
    static const char *const openers[] = {
        "Post will continue to follow the matter", "Post will report further", "Received",
        "Pending", "Agreed", "Noted",
    };
    size_t q = t - 1, rem;
    size_t i;
    for (i = 0; i < SIM_ARRAY_LEN(openers); i++) {
        size_t o = strlen(openers[i]);
        if (o <= q && (q - o == 0 || q - o >= 3))
            break;
    }
    if (i == SIM_ARRAY_LEN(openers))
        i = SIM_ARRAY_LEN(openers) - 1; /* t < 6: cannot happen for callers */
    cable_gen__puts(out, openers[i]);
    rem = q > strlen(openers[i]) ? q - strlen(openers[i]) : 0;
    while (rem > 13) {
        const char *w = CABLE_GEN__ONE_OF(r, middle_words);
        cable_gen__putf(out, " %s", w);
        rem -= 1 + strlen(w);
    }
    if (rem >= 3) {
        cable_gen__putf(out, " %s", exact_words[rem - 1]);
        rem = 0;
    }
    cable_gen__puts(out, ".");
}

void cable_gen__exact(cable_gen__rng_t *r, const cable_gen__story_t *s, size_t len,
                      cable_gen__buf_t *out)
{
    size_t           start = out->len;
    cable_gen__buf_t one = {0};
    uint32_t         last = UINT32_MAX;
    /* Whole sentences while they leave room for a tail of at least 6 bytes. */
    for (int tries = 0; tries < 4096; tries++) {
        size_t used = out->len - start, sep = used ? 1 : 0;
        if (len - used < 60)
            break;
        one.len = 0;
        put_sentence(r, s, &one, &last);
        if (used + sep + one.len + 1 + 6 <= len) {
            if (sep)
                cable_gen__puts(out, " ");
            cable_gen__put(out, one.p, one.len);
        }
    }
    cable_gen__buf_free(&one);
    {
        size_t used = out->len - start;
        if (used == len)
            return;
        if (used) {
            cable_gen__puts(out, " ");
            used++;
        }
        tail_exact(r, len - used, out);
    }
}

/* Looks like a line that ends a SUBJECT or REF continuation for a parser. */
static bool unsafe_start(const char *p, size_t n, bool fields)
{
    static const char *const words[] = {"REF", "CLASSIFIED", "TAGS", "SUMMARY", "E.O.",
                                        "SUBJECT"};
    if (!n)
        return true;
    if ((*p >= '0' && *p <= '9') || *p == '(')
        return true;
    if (!fields)
        return false;
    for (size_t i = 0; i < SIM_ARRAY_LEN(words); i++) {
        size_t k = strlen(words[i]);
        if (n >= k) {
            size_t j = 0;
            while (j < k && (p[j] == words[i][j] || p[j] - 32 == words[i][j]))
                j++;
            if (j == k)
                return true;
        }
    }
    return false;
}

void cable_gen__wrap(cable_gen__buf_t *out, const char *text, size_t len, bool fields)
{
    const char *p = text, *e = text + len;
    while ((size_t)(e - p) > CABLE_GEN__WIDTH) {
        const char *brk = NULL;
        for (const char *q = p + CABLE_GEN__WIDTH; q > p; q--) {
            if (*q != ' ')
                continue;
            if (unsafe_start(q + 1, (size_t)(e - q - 1), fields))
                continue;
            brk = q;
            break;
        }
        if (!brk) /* no blank to break at: leave the line long */
            break;
        cable_gen__put(out, p, (size_t)(brk - p));
        cable_gen__puts(out, "\n");
        p = brk + 1;
    }
    cable_gen__put(out, p, (size_t)(e - p));
}
