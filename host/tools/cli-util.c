/* Helpers shared by the fnrt sub-commands (see cli.h). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "io/outfile.h"

volatile sig_atomic_t fnrt_cli_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    fnrt_cli_interrupted = 1;
    fnrt_outfile_abort_all_signal_safe();
}

void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* terminal closed: same clean stop, no temp file left */
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *default_model(void)
{
    const char *env = getenv("FNRT_MODEL");
    return env && *env ? env : FNRT_DEFAULT_MODEL;
}

int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int list_push(str_list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

void list_free(str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expands INPUT arguments: files as given, directories into their *.png files (sorted). */
int collect_inputs(char **args, int n, str_list *out, int *had_dir)
{
    for (int i = 0; i < n; i++) {
        if (!is_dir(args[i])) {
            if (list_push(out, args[i]) < 0)
                return -1;
            continue;
        }
        *had_dir = 1;
        DIR *d = opendir(args[i]);
        if (!d) {
            fprintf(stderr, "fnrt: cannot read directory %s: %s\n", args[i], strerror(errno));
            return -1;
        }
        size_t first = out->n;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || !ends_with(e->d_name, ".png"))
                continue;
            size_t len = strlen(args[i]) + strlen(e->d_name) + 2;
            char *p = malloc(len);
            if (!p) {
                closedir(d);
                return -1;
            }
            snprintf(p, len, "%s/%s", args[i], e->d_name);
            int rc = is_dir(p) ? 0 : list_push(out, p);
            free(p);
            if (rc < 0) {
                closedir(d);
                return -1;
            }
        }
        closedir(d);
        qsort(out->v + first, out->n - first, sizeof *out->v, cmp_str);
        if (out->n == first)
            fprintf(stderr, "fnrt: warning: no .png files in %s\n", args[i]);
    }
    return 0;
}

/* dir/<stem of input>.<ext> */
char *output_in_dir(const char *dir, const char *input, const char *ext)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    size_t stem = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        stem = (size_t)(dot - base);
    size_t len = strlen(dir) + stem + strlen(ext) + 3;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%.*s.%s", dir, (int)stem, base, ext);
    return p;
}

int ensure_dir(const char *path)
{
    if (is_dir(path))
        return 0;
    if (mkdir(path, 0777) == 0)
        return 0;
    fprintf(stderr, "fnrt: cannot create output directory %s: %s\n", path, strerror(errno));
    return -1;
}

/* Writes planar (3,h,w) unit normals to path (.png or .npy) through a temp file. */
fnrt_status write_normals(const char *path, const fnrt_image *n, int bits, int force)
{
    fnrt_outfile of;
    fnrt_status st = fnrt_outfile_open(&of, path, force);
    if (st != FNRT_OK)
        return st;
    size_t plane = (size_t)n->h * (size_t)n->w;
    if (ends_with(path, ".npy")) {
        float *hwc = malloc(plane * 3 * sizeof(float));
        if (!hwc) {
            st = fnrt_error(FNRT_ERR_NOMEM, "out of memory writing %s", path);
        } else {
            for (size_t j = 0; j < plane; j++)
                for (int c = 0; c < 3; c++)
                    hwc[3 * j + c] = n->data[c * plane + j];
            int64_t shape[3] = {n->h, n->w, 3};
            st = fnrt_npy_write_f32(of.fp, hwc, 3, shape);
            free(hwc);
        }
    } else {
        fnrt_image enc = {3, n->h, n->w, malloc(plane * 3 * sizeof(float))};
        if (!enc.data) {
            st = fnrt_error(FNRT_ERR_NOMEM, "out of memory writing %s", path);
        } else {
            for (size_t j = 0; j < plane * 3; j++)
                enc.data[j] = 0.5f * (n->data[j] + 1.0f);
            st = fnrt_png_write_rgb(of.fp, &enc, bits);
            free(enc.data);
        }
    }
    if (st == FNRT_OK)
        st = fnrt_outfile_commit(&of);
    fnrt_outfile_abort(&of);
    return st;
}

/* Resizes a normal map to (h,w) and re-normalises each pixel. */
fnrt_status resize_normals(const fnrt_image *src, int h, int w, fnrt_image *dst)
{
    dst->c = 3, dst->h = h, dst->w = w;
    dst->data = malloc((size_t)3 * h * w * sizeof(float));
    if (!dst->data)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory resizing a %dx%d normal map", w, h);
    fnrt_status st = fnrt_image_resize(src, dst);
    if (st != FNRT_OK) {
        fnrt_image_free(dst);
        return st;
    }
    size_t plane = (size_t)h * w;
    for (size_t j = 0; j < plane; j++) {
        float x = dst->data[j], y = dst->data[plane + j], z = dst->data[2 * plane + j];
        float len = sqrtf(x * x + y * y + z * z);
        float inv = len > 1e-12f ? 1.0f / len : 0.0f;
        dst->data[j] = x * inv, dst->data[plane + j] = y * inv, dst->data[2 * plane + j] = z * inv;
    }
    return FNRT_OK;
}

/* Runs one input; returns 0 or prints one error line and returns -1. */
int parse_int_opt(const char *s, int *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || *end)
        return -1;
    *v = (int)x;
    return 0;
}


fnrt_status write_image_png(const char *path, const fnrt_image *img, int bits, int force)
{
    fnrt_outfile of;
    fnrt_status st = fnrt_outfile_open(&of, path, force);
    if (st != FNRT_OK)
        return st;
    st = fnrt_png_write_rgb(of.fp, img, bits);
    if (st == FNRT_OK)
        st = fnrt_outfile_commit(&of);
    fnrt_outfile_abort(&of);
    return st;
}

fnrt_status relight_image(const fnrt_image *rgb, const fnrt_image *normals, const float light[3],
                          fnrt_image *out)
{
    if (rgb->h != normals->h || rgb->w != normals->w || rgb->c != 3)
        return fnrt_error(FNRT_ERR_INTERNAL, "relight: image and normals differ in size");
    size_t plane = (size_t)rgb->h * rgb->w;
    *out = (fnrt_image){3, rgb->h, rgb->w, malloc(3 * plane * sizeof(float))};
    if (!out->data)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory relighting");
    for (size_t j = 0; j < plane; j++) {
        float d = normals->data[j] * light[0] + normals->data[plane + j] * light[1] +
                  normals->data[2 * plane + j] * light[2];
        float shade = 0.3f + 0.9f * (d > 0.0f ? d : 0.0f);
        for (int c = 0; c < 3; c++) {
            float v = rgb->data[c * plane + j] * shade;
            out->data[c * plane + j] = v < 1.0f ? v : 1.0f;
        }
    }
    return FNRT_OK;
}

fnrt_status make_panel(const fnrt_image *rgb, const fnrt_image *exemplar,
                       const fnrt_image *normals, const float light[3], fnrt_image *out)
{
    fnrt_image relit = {0};
    fnrt_status st = relight_image(rgb, normals, light, &relit);
    if (st != FNRT_OK)
        return st;
    int h = rgb->h, w = rgb->w;
    *out = (fnrt_image){3, h, 4 * w, malloc((size_t)3 * h * 4 * w * sizeof(float))};
    if (!out->data) {
        fnrt_image_free(&relit);
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory making a panel");
    }
    const fnrt_image *tiles[4] = {rgb, exemplar, normals, &relit};
    size_t plane = (size_t)h * w;
    for (int t = 0; t < 4; t++)
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++) {
                    float v = tiles[t]->data[c * plane + (size_t)r * w + q];
                    if (t == 1 || t == 2) /* normal maps shown as (n+1)/2 */
                        v = 0.5f * (v + 1.0f);
                    out->data[((size_t)c * h + r) * 4 * w + (size_t)t * w + q] = v;
                }
    fnrt_image_free(&relit);
    return FNRT_OK;
}

int load_model_or_report(const char *path, const char *mode, fnrt_model **m)
{
    fnrt_model_options opts = {mode};
    fnrt_status st = fnrt_model_load_ex(path, &opts, m);
    if (st == FNRT_OK)
        return 0;
    fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
    return st == FNRT_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_MODEL;
}
