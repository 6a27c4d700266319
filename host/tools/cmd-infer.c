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
            "  -f, --force           replace existing output files (never done otherwise)\n"
            "  -q, --quiet           no progress lines\n"
            "  -h, --help            this text\n",
            default_model());
}

typedef struct infer_opts {
    const char *model, *backend, *device, *output, *exemplar;
    int bits, size_input, force, quiet, npy_in_dir;
} infer_opts;

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
    if (fnrt_cli_interrupted)
        goto done;
    if ((st = write_normals(out_path, &normals, o->bits, o->force)) != FNRT_OK)
        goto done;
    if (ex_path && (st = write_normals(ex_path, &exemplar, o->bits, o->force)) != FNRT_OK)
        goto done;
    rc = 0;
done:
    if (rc != 0 && !fnrt_cli_interrupted)
        fprintf(stderr, "fnrt: %s: %s\n", in_path, fnrt_last_error());
    fnrt_image_free(&img);
    fnrt_image_free(&net);
    fnrt_image_free(&normals);
    fnrt_image_free(&exemplar);
    fnrt_image_free(&tmp);
    return rc;
}

int fnrt_cmd_infer(int argc, char **argv)
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
    for (size_t i = 0; i < inputs.n && !fnrt_cli_interrupted; i++) {
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
        if (batch && !o.quiet && !fnrt_cli_interrupted)
            fprintf(stderr, "[%zu/%zu] %s -> %s %s (%.2f s)\n", i + 1, inputs.n, inputs.v[i],
                    out_path, r < 0 ? "FAILED" : "ok", now_s() - t0);
    }
    if (fnrt_cli_interrupted) {
        fprintf(stderr, "fnrt: fnrt_cli_interrupted; %zu written, no partial files left\n", n_done);
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
