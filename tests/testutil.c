/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *tu_read_file(const char *path, size_t *len)
{
    FILE  *f = fopen(path, "rb");
    char  *buf;
    long   n;
    size_t got;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

const char *tu_data(const char *name)
{
    static char path[4096];
    const char *dir = getenv("SIM_TEST_DATA");
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
    return path;
}

const char *tu_sample_dir(void)
{
    const char *dir = getenv("SIM_SAMPLE");
    return dir ? dir : "corpus/sample";
}

const char *tu_bin(void)
{
    const char *bin = getenv("SIM_BIN");
    return bin ? bin : "cablesim";
}

const char *tu_real_corpus(void)
{
    static char path[4096];
    struct stat st;
    const char *shared = getenv("CABLESIM_SHARED");
    if (!shared || !*shared)
        shared = getenv("CABLESIM_SHARED_DEFAULT");
    if (!shared)
        shared = "../shared";
    snprintf(path, sizeof(path), "%s/cables/real", shared);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return path;
    if (getenv("CABLESIM_REQUIRE_SHARED")) {
        fprintf(stderr, "real corpus not found at %s and CABLESIM_REQUIRE_SHARED is set\n", path);
        fail_msg("real corpus missing: %s", path);
    }
    fprintf(stderr, "SKIPPED: real corpus not found at %s (set CABLESIM_SHARED)\n", path);
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tu_list_txt(const char *dir, char ***names)
{
    DIR           *d = opendir(dir);
    struct dirent *e;
    size_t         n = 0, cap = 0;
    char         **v = NULL;
    if (!d) {
        *names = NULL;
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = realloc(v, cap * sizeof(*v));
        }
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    *names = v;
    return n;
}

void tu_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
