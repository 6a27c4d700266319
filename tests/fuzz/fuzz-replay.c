/* Runs a libFuzzer target over files without libFuzzer (gcc builds, CTest): each argument
 * is a file or a folder of files; every file is passed once to LLVMFuzzerTestOneInput.
 * Used to replay the seed corpora and past crashers in every build, sanitizers included.
 * Like libFuzzer's -rss_limit_mb, an input that drives the peak resident memory above
 * $FUZZ_REPLAY_MAX_RSS_MB (default 1024) fails: memory amplification is a bug too. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz-replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    fclose(f);
    /* an exact-size copy, so that ASan sees reads past the end of the input */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    struct rusage ru;
    const char *lim = getenv("FUZZ_REPLAY_MAX_RSS_MB");
    long max_mb = lim && *lim ? atol(lim) : 1024;
    if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss / 1024 > max_mb) {
        fprintf(stderr, "fuzz-replay: %s: peak RSS %ld MiB exceeds %ld MiB\n", path,
                ru.ru_maxrss / 1024, max_mb);
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    size_t n_files = 0, n_failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "fuzz-replay: %s: no such file or folder\n", argv[i]);
            n_failed++;
            continue;
        }
        if (!S_ISDIR(sb.st_mode)) {
            n_failed += run_file(argv[i]) != 0;
            n_files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            n_failed++;
            continue;
        }
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
        closedir(d);
        if (n)
            qsort(names, n, sizeof *names, cmp_str);
        for (size_t k = 0; k < n; k++) {
            size_t len = strlen(argv[i]) + strlen(names[k]) + 2;
            char *p = malloc(len);
            snprintf(p, len, "%s/%s", argv[i], names[k]);
            if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
                n_failed += run_file(p) != 0;
                n_files++;
            }
            free(p);
            free(names[k]);
        }
        free(names);
    }
    printf("fuzz-replay: %zu inputs replayed, %zu failed\n", n_files, n_failed);
    return n_failed != 0 || n_files == 0;
}
