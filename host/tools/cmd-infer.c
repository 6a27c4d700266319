/* fnrt infer: normal maps of face images. */
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
            "      --relight PATH    also write the face re-shaded from the predicted normals\n"
            "                        under a new light (file for one input, else directory)\n"
            "      --light X,Y,Z     direction toward that light, camera frame (x right, y up,\n"
            "                        z toward the viewer); default -0.5,0.5,0.7071\n"
            "      --panel PATH      also write a side-by-side panel at the network size:\n"
            "                        input | exemplar | normals | relit\n"
            "  -f, --force           replace existing output files (never done otherwise)\n"
            "  -q, --quiet           no progress lines\n"
            "  -h, --help            this text\n",
            default_model());
}

typedef struct infer_opts {
    const char *model, *backend, *device, *output, *exemplar, *relight, *panel;
    float light[3];
    int bits, size_input, force, quiet, npy_in_dir;
} infer_opts;

/* Where one input's results go (NULL = not wanted). */
typedef struct infer_paths {
    char *normals, *exemplar, *relight, *panel;
} infer_paths;

static void paths_free(infer_paths *p)
{
    free(p->normals);
    free(p->exemplar);
    free(p->relight);
    free(p->panel);
    memset(p, 0, sizeof *p);
}

/* For a batch, OPT names a directory receiving <stem>.<ext>; else OPT is the file itself.
 * Returns 0, or -1 when out of memory. */
static int path_for(const char *opt, int batch, const char *input, const char *ext, char **out)
{
    *out = NULL;
    if (!opt)
        return 0;
    *out = batch ? output_in_dir(opt, input, ext) : strdup(opt);
    return *out ? 0 : -1;
}

static int infer_one(fnrt_session *s, int size, const char *in_path, const infer_paths *out,
                     const infer_opts *o)
{
    fnrt_image img = {0}, net = {0}, normals = {0}, exemplar = {0}, tmp = {0}, pic = {0};
    int rc = -1;
    fnrt_status st;
    size_t n_net = (size_t)3 * size * size;
    int want_ex = out->exemplar || out->panel;

    if ((st = fnrt_png_read(in_path, NULL, &img)) != FNRT_OK)
        goto done;
    net = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    normals = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    exemplar = (fnrt_image){3, size, size, want_ex ? malloc(n_net * sizeof(float)) : NULL};
    if (!net.data || !normals.data || (want_ex && !exemplar.data)) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = fnrt_image_resize(&img, &net)) != FNRT_OK)
        goto done;
    if ((st = fnrt_session_infer(s, net.data, normals.data, exemplar.data)) != FNRT_OK)
        goto done;
    if (out->panel) { /* at the network size: input | exemplar | normals | relit */
        if ((st = make_panel(&net, &exemplar, &normals, o->light, &pic)) != FNRT_OK ||
            (st = write_image_png(out->panel, &pic, 8, o->force)) != FNRT_OK)
            goto done;
        fnrt_image_free(&pic);
    }
    if (o->size_input && (img.h != size || img.w != size)) {
        if ((st = resize_normals(&normals, img.h, img.w, &tmp)) != FNRT_OK)
            goto done;
        fnrt_image_free(&normals);
        normals = tmp;
        tmp = (fnrt_image){0};
        if (out->exemplar) {
            if ((st = resize_normals(&exemplar, img.h, img.w, &tmp)) != FNRT_OK)
                goto done;
            fnrt_image_free(&exemplar);
            exemplar = tmp;
            tmp = (fnrt_image){0};
        }
    }
    if (fnrt_cli_interrupted)
        goto done;
    if ((st = write_normals(out->normals, &normals, o->bits, o->force)) != FNRT_OK)
        goto done;
    if (out->exemplar && (st = write_normals(out->exemplar, &exemplar, o->bits, o->force)) != FNRT_OK)
        goto done;
    if (out->relight) {
        /* relit at the size the normals were written: the input itself or the network size */
        const fnrt_image *base = normals.h == img.h && normals.w == img.w ? &img : &net;
        if ((st = relight_image(base, &normals, o->light, &pic)) != FNRT_OK ||
            (st = write_image_png(out->relight, &pic, 8, o->force)) != FNRT_OK)
            goto done;
    }
    rc = 0;
done:
    if (rc != 0 && !fnrt_cli_interrupted)
        fprintf(stderr, "fnrt: %s: %s\n", in_path, fnrt_last_error());
    fnrt_image_free(&img);
    fnrt_image_free(&net);
    fnrt_image_free(&normals);
    fnrt_image_free(&exemplar);
    fnrt_image_free(&tmp);
    fnrt_image_free(&pic);
    return rc;
}

/* "x,y,z" -> unit vector */
static int parse_light(const char *s, float l[3])
{
    char *end;
    for (int k = 0; k < 3; k++) {
        l[k] = strtof(s, &end);
        if (end == s || (k < 2 && *end != ',') || (k == 2 && *end))
            return -1;
        s = end + 1;
    }
    float n = sqrtf(l[0] * l[0] + l[1] * l[1] + l[2] * l[2]);
    if (!(n > 1e-6f))
        return -1;
    for (int k = 0; k < 3; k++)
        l[k] /= n;
    return 0;
}

/* With one input, an extra output must be a file of a known type. */
static int check_single_ext(const char *what, const char *path, int allow_npy)
{
    if (!path || ends_with(path, ".png") || (allow_npy && ends_with(path, ".npy")))
        return 0;
    fprintf(stderr, "fnrt infer: %s output %s must end in .png%s\n", what, path,
            allow_npy ? " or .npy" : "");
    return -1;
}

int fnrt_cmd_infer(int argc, char **argv)
{
    infer_opts o = {default_model(), "opencl", NULL, NULL, NULL, NULL, NULL,
                    {-0.5f, 0.5f, 0.7071f}, 8, 0, 0, 0, 0};
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},    {"backend", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'},   {"output", required_argument, 0, 'o'},
        {"bits", required_argument, 0, 'B'},     {"size", required_argument, 0, 'S'},
        {"exemplar", required_argument, 0, 'E'}, {"format", required_argument, 0, 'F'},
        {"relight", required_argument, 0, 'R'},  {"light", required_argument, 0, 'L'},
        {"panel", required_argument, 0, 'P'},    {"force", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    parse_light("-0.5,0.5,0.7071", o.light);
    int c;
    while ((c = getopt_long(argc, argv, "m:b:d:o:fqh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'b': o.backend = optarg; break;
        case 'd': o.device = optarg; break;
        case 'o': o.output = optarg; break;
        case 'E': o.exemplar = optarg; break;
        case 'R': o.relight = optarg; break;
        case 'P': o.panel = optarg; break;
        case 'f': o.force = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage_infer(stdout); return 0;
        case 'L':
            if (parse_light(optarg, o.light) < 0) {
                fprintf(stderr, "fnrt infer: --light must be X,Y,Z (a non-zero direction "
                                "toward the light), not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
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
    infer_paths paths = {0};

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
        if (check_single_ext("normal-map", o.output, 1) < 0 ||
            check_single_ext("exemplar", o.exemplar, 1) < 0 ||
            check_single_ext("relit", o.relight, 0) < 0 ||
            check_single_ext("panel", o.panel, 0) < 0) {
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
    if (batch && (ensure_dir(o.output) < 0 || (o.exemplar && ensure_dir(o.exemplar) < 0) ||
                  (o.relight && ensure_dir(o.relight) < 0) ||
                  (o.panel && ensure_dir(o.panel) < 0))) {
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
    for (size_t i = 0; i < inputs.n && !fnrt_cli_interrupted; i++) {
        double t0 = now_s();
        const char *in = inputs.v[i];
        paths_free(&paths);
        if (path_for(o.output, batch, in, ext, &paths.normals) < 0 ||
            path_for(o.exemplar, batch, in, ext, &paths.exemplar) < 0 ||
            path_for(o.relight, batch, in, "png", &paths.relight) < 0 ||
            path_for(o.panel, batch, in, "png", &paths.panel) < 0) {
            fprintf(stderr, "fnrt: out of memory\n");
            n_failed++;
            break;
        }
        int r = infer_one(sess, info.input_size, in, &paths, &o);
        if (r < 0)
            n_failed++;
        else
            n_done++;
        if (batch && !o.quiet && !fnrt_cli_interrupted)
            fprintf(stderr, "[%zu/%zu] %s -> %s %s (%.2f s)\n", i + 1, inputs.n, in,
                    paths.normals, r < 0 ? "FAILED" : "ok", now_s() - t0);
    }
    if (fnrt_cli_interrupted) {
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
    paths_free(&paths);
    fnrt_session_free(sess);
    fnrt_model_free(model);
    list_free(&inputs);
    return rc;
}
