/*
 * testutil.h - helpers shared by the test programs: reading files, finding
 * the test data, the bundled sample and the shared real corpus.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Whole file into a NUL-terminated owned buffer; NULL when unreadable. */
char *tu_read_file(const char *path, size_t *len);
/* Path of a file under tests/data (static buffer, valid until the next call). */
const char *tu_data(const char *name);
/* The bundled sample folder (corpus/sample). */
const char *tu_sample_dir(void);
/* The shared folder's real corpus (…/cables/real), or NULL when absent. When
 * absent and CABLESIM_REQUIRE_SHARED is set (CI), fails the test instead. */
const char *tu_real_corpus(void);
/* The cablesim binary built with the tests. */
const char *tu_bin(void);
/* Sorted list of the *.txt files of a folder; returns the count. Owned. */
size_t tu_list_txt(const char *dir, char ***names);
void tu_free_list(char **names, size_t n);

#endif
