/* fnrt — command-line front end: infer, info, devices.
 *
 * Exit status (all commands):
 *   0  success
 *   1  an input could not be processed or an output not written (in a batch, the others
 *      were still processed; the summary at the end says which failed)
 *   2  usage error (unknown command/option, bad option value)
 *   3  the model file could not be loaded
 *   4  the backend/device could not be opened or failed
 *   130 interrupted (Ctrl-C); no partial output file is left behind */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fnrt/fnrt-backend.h"
#include "fnrt/fnrt.h"
#include "backend/opencl/opencl.h"
#include "io/image.h"
#include "io/outfile.h"

enum {
    EXIT_INPUT = 1,
    EXIT_USAGE = 2,
    EXIT_MODEL = 3,
    EXIT_DEVICE = 4,
    EXIT_INTERRUPTED = 130
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    fnrt_outfile_abort_all_signal_safe();
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *default_model(void)
{
    const char *env = getenv("FNRT_MODEL");
    return env && *env ? env : FNRT_DEFAULT_MODEL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- usage ---------------------------------------------------------------------------- */

static void usage_main(FILE *f)
{
    fprintf(f,
            "usage: fnrt <command> [options]\n"
            "\n"
            "Face-normal estimation on OpenCL devices (PoCL on the CPU, GPUs, FPGAs).\n"
            "\n"
            "commands:\n"
            "  infer     estimate normal maps of face images\n"
            "  info      describe a model file (architecture, parameters, FLOPs per stage)\n"
            "  devices   list OpenCL platforms and devices\n"
            "\n"
            "'fnrt <command> --help' describes each command.\n"
            "exit status: 0 ok, 1 an input/output failed, 2 usage, 3 model, 4 device,\n"
            "130 interrupted.\n");
}

static void usage_infer(FILE *f)
{
    fprintf(f,
            "usage: fnrt infer [-m MODEL] [-b BACKEND] [-d DEVICE] -o OUT [options] INPUT...\n"
            "\n"
            "INPUT: PNG files (8/16-bit gray, gray+alpha, RGB, RGBA, palette; any size) or\n"
            "directories of them (*.png).  Each image is resized to the network's 256x256.\n"
            "OUT: with one input file, a .png (RGB normal map, value = (n+1)/2) or .npy\n"
            "(float32 HxWx3 unit normals, x right, y up, z toward the viewer); with several\n"
            "inputs or a directory, a directory (created if missing) that receives\n"
            "<name>.png or <name>.npy per input (see --format).\n"
            "\n"
            "options:\n"
            "  -m, --model FILE      model (.safetensors); default %s\n"
            "                        (or $FNRT_MODEL)\n"
            "  -b, --backend NAME    opencl (default) or ref (plain C reference)\n"
            "  -d, --device SPEC     OpenCL device: index N, P:N, or part of its name\n"
            "                        ('fnrt devices' lists them)\n"
            "  -o, --output OUT      output file or directory (required)\n"
            "      --format png|npy  file type written into an output directory (default png)\n"
            "      --bits 8|16       bits per sample of PNG output (default 8)\n"
            "      --size 256|input  write at the network size (default) or resized back to\n"
            "                        each input's size\n"
            "      --exemplar PATH   also write the coarse exemplar normals (a file for one\n"
            "                        input, a directory for several)\n"
            "  -f, --force           replace existing output files (never done otherwise)\n"
            "  -q, --quiet           no progress lines\n"
            "  -h, --help            this text\n",
            default_model());
}

static void usage_info(FILE *f)
{
    fprintf(f, "usage: fnrt info [MODEL]\n\n"
               "Prints the architecture, parameter count, graph size and GFLOP per image\n"
               "(total and per stage) of a model file (default %s).\n",
            default_model());
}

static void usage_devices(FILE *f)
{
    fprintf(f, "usage: fnrt devices\n\n"
               "Lists every OpenCL platform and device with the selectors -d accepts.\n");
}

/* ---- infer ---------------------------------------------------------------------------- */

typedef struct infer_opts {
    const char *model, *backend, *device, *output, *exemplar;
    int bits, size_input, force, quiet, npy_in_dir;
} infer_opts;

typedef struct str_list {
    char **v;
    size_t n, cap;
} str_list;

static int list_push(str_list *l, const char *s)
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

static void list_free(str_list *l)
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
static int collect_inputs(char **args, int n, str_list *out, int *had_dir)
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
static char *output_in_dir(const char *dir, const char *input, const char *ext)
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

static int ensure_dir(const char *path)
{
    if (is_dir(path))
        return 0;
    if (mkdir(path, 0777) == 0)
        return 0;
    fprintf(stderr, "fnrt: cannot create output directory %s: %s\n", path, strerror(errno));
    return -1;
}

/* Writes planar (3,h,w) unit normals to path (.png or .npy) through a temp file. */
static fnrt_status write_normals(const char *path, const fnrt_image *n, int bits, int force)
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
static fnrt_status resize_normals(const fnrt_image *src, int h, int w, fnrt_image *dst)
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
static int infer_one(fnrt_session *s, int size, const char *in_path, const char *out_path,
                     const char *ex_path, const infer_opts *o)
{
    fnrt_image img = {0}, net = {0}, normals = {0}, exemplar = {0}, tmp = {0};
    int rc = -1;
    fnrt_status st;
    size_t n_net = (size_t)3 * size * size;

    if ((st = fnrt_png_read(in_path, NULL, &img)) != FNRT_OK)
        goto done;
    net = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    normals = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    exemplar = (fnrt_image){3, size, size, ex_path ? malloc(n_net * sizeof(float)) : NULL};
    if (!net.data || !normals.data || (ex_path && !exemplar.data)) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = fnrt_image_resize(&img, &net)) != FNRT_OK)
        goto done;
    if ((st = fnrt_session_infer(s, net.data, normals.data, exemplar.data)) != FNRT_OK)
        goto done;
    if (o->size_input && (img.h != size || img.w != size)) {
        if ((st = resize_normals(&normals, img.h, img.w, &tmp)) != FNRT_OK)
            goto done;
        fnrt_image_free(&normals);
        normals = tmp;
        tmp = (fnrt_image){0};
        if (ex_path) {
            if ((st = resize_normals(&exemplar, img.h, img.w, &tmp)) != FNRT_OK)
                goto done;
            fnrt_image_free(&exemplar);
            exemplar = tmp;
            tmp = (fnrt_image){0};
        }
    }
    if (interrupted)
        goto done;
    if ((st = write_normals(out_path, &normals, o->bits, o->force)) != FNRT_OK)
        goto done;
    if (ex_path && (st = write_normals(ex_path, &exemplar, o->bits, o->force)) != FNRT_OK)
        goto done;
    rc = 0;
done:
    if (rc != 0 && !interrupted)
        fprintf(stderr, "fnrt: %s: %s\n", in_path, fnrt_last_error());
    fnrt_image_free(&img);
    fnrt_image_free(&net);
    fnrt_image_free(&normals);
    fnrt_image_free(&exemplar);
    fnrt_image_free(&tmp);
    return rc;
}

static int parse_int_opt(const char *s, int *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || *end)
        return -1;
    *v = (int)x;
    return 0;
}

static int cmd_infer(int argc, char **argv)
{
    infer_opts o = {default_model(), "opencl", NULL, NULL, NULL, 8, 0, 0, 0, 0};
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},   {"backend", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'},  {"output", required_argument, 0, 'o'},
        {"bits", required_argument, 0, 'B'},    {"size", required_argument, 0, 'S'},
        {"exemplar", required_argument, 0, 'E'}, {"format", required_argument, 0, 'F'},
        {"force", no_argument, 0, 'f'},         {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:b:d:o:fqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'b': o.backend = optarg; break;
        case 'd': o.device = optarg; break;
        case 'o': o.output = optarg; break;
        case 'E': o.exemplar = optarg; break;
        case 'f': o.force = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage_infer(stdout); return 0;
        case 'B':
            if (parse_int_opt(optarg, &o.bits) < 0 || (o.bits != 8 && o.bits != 16)) {
                fprintf(stderr, "fnrt infer: --bits must be 8 or 16, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'S':
            if (strcmp(optarg, "input") == 0)
                o.size_input = 1;
            else if (strcmp(optarg, "256") == 0)
                o.size_input = 0;
            else {
                fprintf(stderr, "fnrt infer: --size must be 256 or input, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'F':
            if (strcmp(optarg, "npy") == 0)
                o.npy_in_dir = 1;
            else if (strcmp(optarg, "png") == 0)
                o.npy_in_dir = 0;
            else {
                fprintf(stderr, "fnrt infer: --format must be png or npy, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        default:
            fprintf(stderr, "fnrt infer: see 'fnrt infer --help'\n");
            return EXIT_USAGE;
        }
    }
    if (!o.output) {
        fprintf(stderr, "fnrt infer: -o OUT is required (see 'fnrt infer --help')\n");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "fnrt infer: no INPUT given (see 'fnrt infer --help')\n");
        return EXIT_USAGE;
    }

    str_list inputs = {0};
    int had_dir = 0, rc = 0;
    fnrt_model *model = NULL;
    fnrt_session *sess = NULL;
    char *out_path = NULL, *ex_path = NULL;

    if (collect_inputs(argv + optind, argc - optind, &inputs, &had_dir) < 0) {
        rc = EXIT_INPUT;
        goto done;
    }
    if (inputs.n == 0) {
        fprintf(stderr, "fnrt infer: no input images found\n");
        rc = EXIT_INPUT;
        goto done;
    }
    int batch = inputs.n > 1 || had_dir;
    if (!batch) {
        if (is_dir(o.output)) {
            fprintf(stderr, "fnrt infer: output %s is a directory; with one input give a "
                            "file name ending in .png or .npy\n", o.output);
            rc = EXIT_USAGE;
            goto done;
        }
        if (!ends_with(o.output, ".png") && !ends_with(o.output, ".npy")) {
            fprintf(stderr, "fnrt infer: output %s must end in .png or .npy\n", o.output);
            rc = EXIT_USAGE;
            goto done;
        }
        if (o.exemplar && !ends_with(o.exemplar, ".png") && !ends_with(o.exemplar, ".npy")) {
            fprintf(stderr, "fnrt infer: exemplar output %s must end in .png or .npy\n",
                    o.exemplar);
            rc = EXIT_USAGE;
            goto done;
        }
    } else if (ends_with(o.output, ".png") || ends_with(o.output, ".npy")) {
        fprintf(stderr, "fnrt infer: with several inputs OUT is a directory, not a file "
                        "name like %s\n", o.output);
        rc = EXIT_USAGE;
        goto done;
    }

    if (fnrt_model_load(o.model, &model) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = EXIT_MODEL;
        goto done;
    }
    if (fnrt_session_create(model, o.backend, o.device, &sess) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = EXIT_DEVICE;
        goto done;
    }
    if (batch && (ensure_dir(o.output) < 0 || (o.exemplar && ensure_dir(o.exemplar) < 0))) {
        rc = EXIT_INPUT;
        goto done;
    }
    fnrt_model_info info;
    fnrt_model_get_info(model, &info);
    if (batch && !o.quiet)
        fprintf(stderr, "fnrt: %zu images on %s\n", inputs.n, fnrt_session_device(sess));

    install_signal_handlers();
    size_t n_failed = 0, n_done = 0;
    const char *ext = o.npy_in_dir ? "npy" : "png";
    for (size_t i = 0; i < inputs.n && !interrupted; i++) {
        double t0 = now_s();
        free(out_path);
        free(ex_path);
        out_path = batch ? output_in_dir(o.output, inputs.v[i], ext) : strdup(o.output);
        ex_path = !o.exemplar ? NULL
                  : batch    ? output_in_dir(o.exemplar, inputs.v[i], ext)
                             : strdup(o.exemplar);
        if (!out_path || (o.exemplar && !ex_path)) {
            fprintf(stderr, "fnrt: out of memory\n");
            n_failed++;
            break;
        }
        int r = infer_one(sess, info.input_size, inputs.v[i], out_path, ex_path, &o);
        if (r < 0)
            n_failed++;
        else
            n_done++;
        if (batch && !o.quiet && !interrupted)
            fprintf(stderr, "[%zu/%zu] %s -> %s %s (%.2f s)\n", i + 1, inputs.n, inputs.v[i],
                    out_path, r < 0 ? "FAILED" : "ok", now_s() - t0);
    }
    if (interrupted) {
        fprintf(stderr, "fnrt: interrupted; %zu written, no partial files left\n", n_done);
        rc = EXIT_INTERRUPTED;
    } else if (n_failed) {
        if (batch)
            fprintf(stderr, "fnrt: %zu of %zu inputs failed, %zu written\n", n_failed, inputs.n,
                    n_done);
        rc = EXIT_INPUT;
    } else if (batch && !o.quiet) {
        fprintf(stderr, "fnrt: %zu written to %s\n", n_done, o.output);
    }
done:
    free(out_path);
    free(ex_path);
    fnrt_session_free(sess);
    fnrt_model_free(model);
    list_free(&inputs);
    return rc;
}

/* ---- info, devices --------------------------------------------------------------------- */

static int cmd_info(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage_info(stdout);
        return 0;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        usage_info(stderr);
        return EXIT_USAGE;
    }
    const char *path = argc == 2 ? argv[1] : default_model();
    fnrt_model *m;
    if (fnrt_model_load(path, &m) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        return EXIT_MODEL;
    }
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    printf("model:        %s\n", path);
    printf("architecture: %s\n", info.architecture);
    printf("input:        3x%dx%d RGB\n", info.input_size, info.input_size);
    printf("parameters:   %llu (%.1f M)\n", (unsigned long long)info.n_params,
           (double)info.n_params * 1e-6);
    printf("graph ops:    %llu\n", (unsigned long long)info.n_ops);
    printf("GFLOP/image:  %.3f\n", info.gflop);
    printf("stages:\n");
    const char *name;
    double gflop;
    uint64_t n_ops;
    for (int i = 0; fnrt_model_stage_info(m, i, &name, &gflop, &n_ops); i++)
        printf("  %-10s %4llu ops %10.3f GFLOP\n", name, (unsigned long long)n_ops, gflop);
    fnrt_model_free(m);
    return 0;
}

static int cmd_devices(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage_devices(stdout);
        return 0;
    }
    if (argc > 1) {
        usage_devices(stderr);
        return EXIT_USAGE;
    }
    printf("backend ref: device 0: reference (plain C, host CPU)\n");
    if (fnrt_opencl_list_devices(stdout) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        return EXIT_DEVICE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("fnrt %s\n", FNRT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "infer") == 0)
        return cmd_infer(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "devices") == 0)
        return cmd_devices(argc - 1, argv + 1);
    fprintf(stderr, "fnrt: unknown command '%s'\n", cmd);
    usage_main(stderr);
    return EXIT_USAGE;
}
