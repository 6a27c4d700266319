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
            "      --size 256|input  write at the network size (default) or at each input's\n"
            "                        size: larger inputs are refined at their native\n"
            "                        resolution in overlapping 256x256 tiles\n"
            "      --exemplar PATH   also write the coarse exemplar normals (a file for one\n"
            "                        input, a directory for several; fnr2r models only)\n"
            "      --mode MODE       the model's mode ('fnrt info' lists them): image\n"
            "                        (default), or normal-ae for crossmodal models: INPUT is\n"
            "                        then a normal-map PNG ((n+1)/2, as fnrt writes them),\n"
            "                        re-estimated with every skip connection deactivated\n"
            "      --relight PATH    also write the face re-shaded from the predicted normals\n"
            "                        under a new light (file for one input, else directory)\n"
            "      --light X,Y,Z     direction toward that light, camera frame (x right, y up,\n"
            "                        z toward the viewer); default -0.5,0.5,0.7071\n"
            "      --panel PATH      also write a side-by-side panel at the network size:\n"
            "                        input | exemplar | normals | relit\n"
            "      --timeout SECONDS bound each image's device wait: past it the image\n"
            "                        fails ('timed out'), the session is abandoned and a\n"
            "                        fresh one takes the rest of a batch (OpenCL only)\n"
            "      --allow-fallback  if the backend cannot run an op of the model, run the\n"
            "                        whole model on the ref backend (with a warning) instead\n"
            "                        of failing\n"
            "  -f, --force           replace existing output files (never done otherwise)\n"
            "  -q, --quiet           no progress lines\n"
            "  -h, --help            this text\n",
            default_model());
}

typedef struct infer_opts {
    const char *model, *backend, *device, *output, *exemplar, *relight, *panel;
    float light[3];
    int bits, size_input, force, quiet, npy_in_dir;
    const char *mode; /* --mode (NULL = the model's default) */
    int has_exemplar; /* the model has an exemplar output (else panels show a gray tile) */
    double timeout;     /* --timeout (0 = none) */
    int allow_fallback; /* --allow-fallback */
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

/* One image on its way through `fnrt infer`: read and resized (job_begin), inferred
 * (synchronously, or submitted to the session's stream and collected later), then
 * post-processed and written (job_finish). */
typedef struct infer_job {
    fnrt_image img, net, normals, exemplar, hires;
    infer_paths paths;
    const char *in_path;
    size_t index;
    double t0;
    int highres; /* refined at the native resolution (synchronous) */
    int want_ex;
    int written; /* its normal map was written (counted as written even if interrupted) */
} infer_job;

static void job_free(infer_job *j)
{
    fnrt_image_free(&j->img);
    fnrt_image_free(&j->net);
    fnrt_image_free(&j->normals);
    fnrt_image_free(&j->exemplar);
    fnrt_image_free(&j->hires);
    paths_free(&j->paths);
    memset(j, 0, sizeof *j);
}

/* Reads and resizes j->in_path (j->paths set); the host half before the network. */
static fnrt_status job_begin(infer_job *j, int size, const infer_opts *o)
{
    fnrt_status st;
    size_t n_net = (size_t)3 * size * size;
    j->want_ex = j->paths.exemplar || j->paths.panel;
    if ((st = fnrt_png_read(j->in_path, NULL, &j->img)) != FNRT_OK)
        return st;
    j->net = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    j->normals = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    j->exemplar = (fnrt_image){3, size, size, j->want_ex ? malloc(n_net * sizeof(float)) : NULL};
    if (!j->net.data || !j->normals.data || (j->want_ex && !j->exemplar.data))
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    if ((st = fnrt_image_resize(&j->img, &j->net)) != FNRT_OK)
        return st;
    if (j->want_ex && !o->has_exemplar) /* (n+1)/2 = 0.5: a neutral panel tile */
        memset(j->exemplar.data, 0, n_net * sizeof(float));
    /* --size input on an image larger than the network: the refiner runs at the native
     * resolution on overlapping tiles (exemplar and style from the network-size image) */
    j->highres = o->size_input && o->has_exemplar && j->img.h >= size && j->img.w >= size &&
                 (j->img.h != size || j->img.w != size);
    return FNRT_OK;
}

/* The network, synchronously. */
static fnrt_status job_infer(fnrt_session *s, infer_job *j, int size, const infer_opts *o)
{
    fnrt_status st;
    if (!j->highres)
        return fnrt_session_infer(s, j->net.data, j->normals.data,
                                  o->has_exemplar ? j->exemplar.data : NULL);
    j->hires = (fnrt_image){3, j->img.h, j->img.w,
                            malloc((size_t)3 * j->img.h * j->img.w * sizeof(float))};
    if (!j->hires.data)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    if ((st = fnrt_session_infer_highres(s, j->img.data, j->img.h, j->img.w, 0, j->hires.data,
                                         j->want_ex ? j->exemplar.data : NULL)) != FNRT_OK)
        return st;
    if (j->paths.panel) { /* the panel shows network-size maps */
        fnrt_image_free(&j->normals);
        if ((st = resize_normals(&j->hires, size, size, &j->normals)) != FNRT_OK)
            return st;
    }
    return FNRT_OK;
}

/* The host half after the network: panel, resizing back, writing. */
static fnrt_status job_finish(infer_job *j, int size, const infer_opts *o)
{
    fnrt_status st = FNRT_OK;
    fnrt_image tmp = {0}, pic = {0};
    const infer_paths *out = &j->paths;
    if (out->panel) { /* at the network size: input | exemplar | normals | relit */
        if ((st = make_panel(&j->net, &j->exemplar, &j->normals, o->light, &pic)) != FNRT_OK ||
            (st = write_image_png(out->panel, &pic, 8, o->force)) != FNRT_OK)
            goto done;
        fnrt_image_free(&pic);
    }
    if (o->size_input && (j->img.h != size || j->img.w != size)) {
        if (j->highres) {
            tmp = j->hires;
            j->hires = (fnrt_image){0};
        } else if ((st = resize_normals(&j->normals, j->img.h, j->img.w, &tmp)) != FNRT_OK) {
            goto done;
        }
        fnrt_image_free(&j->normals);
        j->normals = tmp;
        tmp = (fnrt_image){0};
        if (out->exemplar) {
            if ((st = resize_normals(&j->exemplar, j->img.h, j->img.w, &tmp)) != FNRT_OK)
                goto done;
            fnrt_image_free(&j->exemplar);
            j->exemplar = tmp;
            tmp = (fnrt_image){0};
        }
    }
    if (fnrt_cli_interrupted) {
        st = FNRT_ERR_IO;
        goto done;
    }
    if ((st = write_normals(out->normals, &j->normals, o->bits, o->force)) != FNRT_OK)
        goto done;
    j->written = 1;
    if (out->exemplar &&
        (st = write_normals(out->exemplar, &j->exemplar, o->bits, o->force)) != FNRT_OK)
        goto done;
    if (out->relight) {
        /* relit at the size the normals were written: the input itself or the network size */
        const fnrt_image *base =
            j->normals.h == j->img.h && j->normals.w == j->img.w ? &j->img : &j->net;
        if ((st = relight_image(base, &j->normals, o->light, &pic)) != FNRT_OK ||
            (st = write_image_png(out->relight, &pic, 8, o->force)) != FNRT_OK)
            goto done;
    }
done:
    fnrt_image_free(&tmp);
    fnrt_image_free(&pic);
    return st;
}

/* Opens the session: on the backend asked for; with --allow-fallback on ref when that
 * backend lacks an op of the model (said loudly); then --timeout.  Unless quiet, says
 * where each stage runs.  Returns 0 or -1 (message printed). */
static int open_session(const fnrt_model *model, const infer_opts *o, int quiet,
                        fnrt_session **out)
{
    fnrt_session *s = NULL;
    fnrt_status st = fnrt_session_create(model, o->backend, o->device, &s);
    if (st == FNRT_ERR_UNSUPPORTED && o->allow_fallback && strcmp(o->backend, "ref") != 0) {
        fprintf(stderr, "fnrt: WARNING: %s\n"
                        "fnrt: WARNING: --allow-fallback: running the whole model on the ref "
                        "backend (plain C on the host CPU) instead\n", fnrt_last_error());
        st = fnrt_session_create(model, "ref", NULL, &s);
    }
    if (st != FNRT_OK) {
        fprintf(stderr, "fnrt: %s%s\n", fnrt_last_error(),
                st == FNRT_ERR_UNSUPPORTED && !o->allow_fallback
                    ? " (no fallback; --allow-fallback runs the model on the ref backend)"
                    : "");
        return -1;
    }
    if (o->timeout > 0.0 && fnrt_session_set_timeout(s, o->timeout) != FNRT_OK)
        fprintf(stderr, "fnrt: WARNING: --timeout not applied: %s\n", fnrt_last_error());
    if (!quiet) {
        const char *name;
        fprintf(stderr, "fnrt: stages");
        for (int i = 0; fnrt_model_stage_info(model, i, &name, NULL, NULL); i++)
            fprintf(stderr, "%s %s", i ? "," : "", name);
        fprintf(stderr, " run on %s\n", fnrt_session_device(s));
    }
    *out = s;
    return 0;
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
                    {-0.5f, 0.5f, 0.7071f}, 8, 0, 0, 0, 0, NULL, 1, 0.0, 0};
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},    {"backend", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'},   {"output", required_argument, 0, 'o'},
        {"bits", required_argument, 0, 'B'},     {"size", required_argument, 0, 'S'},
        {"exemplar", required_argument, 0, 'E'}, {"format", required_argument, 0, 'F'},
        {"relight", required_argument, 0, 'R'},  {"light", required_argument, 0, 'L'},
        {"panel", required_argument, 0, 'P'},    {"force", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {"mode", required_argument, 0, 'M'},     {"timeout", required_argument, 0, 'T'},
        {"allow-fallback", no_argument, 0, 'A'}, {0, 0, 0, 0}};
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
        case 'M': o.mode = optarg; break;
        case 'f': o.force = 1; break;
        case 'q': o.quiet = 1; break;
        case 'A': o.allow_fallback = 1; break;
        case 'T': {
            char *end;
            o.timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(o.timeout > 0.0) || o.timeout > 1e6) {
                fprintf(stderr, "fnrt infer: --timeout must be a number of seconds > 0, not "
                                "'%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        }
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

    fnrt_model_options mopts = {o.mode};
    fnrt_status lst = fnrt_model_load_ex(o.model, &mopts, &model);
    if (lst != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = lst == FNRT_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_MODEL; /* no such --mode */
        goto done;
    }
    fnrt_model_info info;
    fnrt_model_get_info(model, &info);
    o.has_exemplar = info.has_exemplar;
    if (o.exemplar && !info.has_exemplar) {
        fprintf(stderr, "fnrt infer: --exemplar: a %s model has no exemplar output\n",
                info.architecture);
        rc = EXIT_USAGE;
        goto done;
    }
    if (open_session(model, &o, o.quiet, &sess) < 0) {
        rc = EXIT_DEVICE;
        goto done;
    }
    if (batch && (ensure_dir(o.output) < 0 || (o.exemplar && ensure_dir(o.exemplar) < 0) ||
                  (o.relight && ensure_dir(o.relight) < 0) ||
                  (o.panel && ensure_dir(o.panel) < 0))) {
        rc = EXIT_INPUT;
        goto done;
    }
    if (batch && !o.quiet)
        fprintf(stderr, "fnrt: %zu images on %s\n", inputs.n, fnrt_session_device(sess));

    install_signal_handlers();
    size_t n_failed = 0, n_done = 0;
    const char *ext = o.npy_in_dir ? "npy" : "png";
    /* A stream: while the device works on the images in flight (their stages overlapping,
     * see fnrt_session_submit), the host reads and resizes the next one and writes the
     * finished ones.  High-resolution images run synchronously between them. */
    int depth = fnrt_session_depth(sess);
    infer_job jobs[FNRT_SESSION_MAX_DEPTH];
    memset(jobs, 0, sizeof jobs);
    size_t head = 0, n_flight = 0, next = 0;
    int pending = 0; /* a high-resolution job begun at jobs[head + n_flight], waiting */
    int abandoned = 0; /* a wait timed out (--timeout): drain, then a fresh session */
    while (!fnrt_cli_interrupted) {
        infer_job *j = NULL;
        fnrt_status st = FNRT_OK;
        if (abandoned && n_flight == 0 && !pending && next < inputs.n) {
            if (!o.quiet)
                fprintf(stderr, "fnrt: continuing with a fresh session after the timeout\n");
            fnrt_session_free(sess); /* abandoned: host memory only, device objects leaked */
            sess = NULL;
            if (open_session(model, &o, 1, &sess) < 0 || fnrt_session_depth(sess) != depth) {
                n_failed += inputs.n - next;
                break;
            }
            abandoned = 0;
        }
        if (next < inputs.n && n_flight < (size_t)depth && !pending && !abandoned) {
            /* begin the next image while the device works on those in flight */
            j = &jobs[(head + n_flight) % (size_t)depth];
            j->in_path = inputs.v[next];
            j->index = next++;
            j->t0 = now_s();
            if (path_for(o.output, batch, j->in_path, ext, &j->paths.normals) < 0 ||
                path_for(o.exemplar, batch, j->in_path, ext, &j->paths.exemplar) < 0 ||
                path_for(o.relight, batch, j->in_path, "png", &j->paths.relight) < 0 ||
                path_for(o.panel, batch, j->in_path, "png", &j->paths.panel) < 0) {
                fprintf(stderr, "fnrt: out of memory\n");
                n_failed++;
                job_free(j);
                break;
            }
            st = job_begin(j, info.input_size, &o);
            if (st == FNRT_OK && j->highres) {
                pending = 1; /* runs alone, once the images in flight are done */
            } else {
                if (st == FNRT_OK)
                    st = fnrt_session_submit(sess, j->net.data, j->normals.data,
                                             o.has_exemplar ? j->exemplar.data : NULL, j);
                if (st == FNRT_OK) {
                    n_flight++;
                    if (n_flight < (size_t)depth && next < inputs.n)
                        continue;
                    j = NULL; /* pipeline full or no more input: collect one */
                }
            }
        }
        if (!j && n_flight > 0) {
            /* the oldest image: wait, post-process, write */
            j = &jobs[head];
            head = (head + 1) % (size_t)depth;
            n_flight--;
            st = fnrt_session_collect(sess, NULL);
            if (st == FNRT_OK)
                st = job_finish(j, info.input_size, &o);
        } else if (pending && n_flight == 0) {
            j = &jobs[head];
            pending = 0;
            st = job_infer(sess, j, info.input_size, &o);
            if (st == FNRT_OK)
                st = job_finish(j, info.input_size, &o);
        } else if (pending || (j && st == FNRT_OK)) {
            continue;
        } else if (!j) {
            break; /* nothing in flight, nothing left */
        }
        if (st == FNRT_ERR_TIMEOUT && j) {
            /* the abandoned device may still write this image's results: leak its output
             * buffers rather than free memory the driver writes into */
            abandoned = 1;
            j->normals.data = NULL;
            j->exemplar.data = NULL;
        }
        if (st != FNRT_OK && !(fnrt_cli_interrupted && j->written)) {
            if (!fnrt_cli_interrupted)
                fprintf(stderr, "fnrt: %s: %s\n", j->in_path, fnrt_last_error());
            n_failed++;
        } else {
            n_done++;
        }
        if (batch && !o.quiet && !fnrt_cli_interrupted)
            fprintf(stderr, "[%zu/%zu] %s -> %s %s (%.2f s)\n", j->index + 1, inputs.n,
                    j->in_path, j->paths.normals, st != FNRT_OK ? "FAILED" : "ok",
                    now_s() - j->t0);
        job_free(j);
    }
    while (n_flight > 0) { /* interrupted: let the device finish, write nothing */
        fnrt_session_collect(sess, NULL);
        job_free(&jobs[head]);
        head = (head + 1) % (size_t)depth;
        n_flight--;
    }
    if (pending)
        job_free(&jobs[head]);
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
