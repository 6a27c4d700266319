/* fnrt eval: accuracy of a model on a labelled set (the layout fnrt-facegen writes:
 * NNNNNN.png image, NNNNNN-normal.png ground truth (n+1)/2, NNNNNN-mask.png labels
 * 0 background, 1 face, 2 head and neck, 3 eyeball).  Errors are measured on the face
 * pixels (labels 1 and 3) at the ground truth's size. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage_eval(FILE *f)
{
    fprintf(f,
            "usage: fnrt eval [-m MODEL] [-b BACKEND] [-d DEVICE] [--heatmap DIR] [-f] SET\n"
            "\n"
            "Runs the model on every SET/NNNNNN.png that has NNNNNN-normal.png (ground-truth\n"
            "normals as (n+1)/2, 8 or 16 bit) and NNNNNN-mask.png (labels: 0 background,\n"
            "1 face, 2 head and neck, 3 eyeball) beside it, and prints, over the face pixels\n"
            "(labels 1 and 3), the mean and median angular error and the share of pixels under\n"
            "11.25, 22.5 and 30 degrees.  The last line, 'eval: ...', is meant for scripts.\n"
            "\n"
            "options:\n"
            "  -m, --model FILE      model; default %s (or $FNRT_MODEL)\n"
            "  -b, --backend NAME    opencl (default) or ref\n"
            "  -d, --device SPEC     OpenCL device (see 'fnrt devices')\n"
            "      --mode MODE       graph mode of the model (see 'fnrt info')\n"
            "      --heatmap DIR     write per-image error maps DIR/NNNNNN-error.png\n"
            "                        (0 deg blue .. 45+ deg red, background black)\n"
            "  -f, --force           replace existing heat maps\n"
            "  -h, --help            this text\n",
            default_model());
}

/* SET/NNNNNN-<suffix>.png for an image path SET/NNNNNN.png */
static char *sibling(const char *img, const char *suffix)
{
    size_t n = strlen(img) - 4; /* strip .png */
    char *p = malloc(n + strlen(suffix) + 6);
    if (p)
        sprintf(p, "%.*s-%s.png", (int)n, img, suffix);
    return p;
}

static int is_sample_image(const char *path)
{
    return ends_with(path, ".png") && !ends_with(path, "-normal.png") &&
           !ends_with(path, "-mask.png") && !ends_with(path, "-error.png");
}

/* blue (0 deg) -> cyan -> green -> yellow -> red (>= 45 deg) */
static void error_colour(float deg, float rgb[3])
{
    float t = deg / 45.0f;
    t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    float x = 4.0f * t;
    rgb[0] = fminf(fmaxf(x - 2.0f, 0.0f), 1.0f);
    rgb[1] = x < 1.0f ? x : x < 3.0f ? 1.0f : 4.0f - x;
    rgb[2] = fminf(fmaxf(2.0f - x, 0.0f), 1.0f);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef struct err_list {
    float *v;
    size_t n, cap;
} err_list;

static int err_push(err_list *e, float deg)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 65536;
        float *v = realloc(e->v, cap * sizeof *v);
        if (!v)
            return -1;
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = deg;
    return 0;
}

/* Evaluates one sample; appends face-pixel errors to all.  Returns 0 or -1 (message printed). */
static int eval_one(fnrt_session *s, int size, const char *img_path, const char *heat_dir,
                    int force, err_list *all, double *mean_out)
{
    fnrt_image img = {0}, net = {0}, pred = {0}, gt = {0}, mask = {0}, sized = {0}, heat = {0};
    char *gt_path = sibling(img_path, "normal"), *mask_path = sibling(img_path, "mask");
    char *heat_path = NULL;
    int rc = -1;
    fnrt_status st = FNRT_OK;
    size_t n_net = (size_t)3 * size * size;

    if (!gt_path || !mask_path) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = fnrt_png_read(img_path, NULL, &img)) != FNRT_OK ||
        (st = fnrt_png_read(gt_path, NULL, &gt)) != FNRT_OK ||
        (st = fnrt_png_read(mask_path, NULL, &mask)) != FNRT_OK)
        goto done;
    if (gt.h != mask.h || gt.w != mask.w) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s and %s differ in size", gt_path, mask_path);
        goto done;
    }
    net = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    pred = (fnrt_image){3, size, size, malloc(n_net * sizeof(float))};
    if (!net.data || !pred.data) {
        st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = fnrt_image_resize(&img, &net)) != FNRT_OK ||
        (st = fnrt_session_infer(s, net.data, pred.data, NULL)) != FNRT_OK)
        goto done;
    const fnrt_image *p = &pred;
    if (gt.h != size || gt.w != size) {
        if ((st = resize_normals(&pred, gt.h, gt.w, &sized)) != FNRT_OK)
            goto done;
        p = &sized;
    }
    size_t plane = (size_t)gt.h * gt.w, n_face = 0;
    double sum = 0.0;
    if (heat_dir) {
        heat = (fnrt_image){3, gt.h, gt.w, calloc(3 * plane, sizeof(float))};
        char *in_dir = output_in_dir(heat_dir, img_path, "png"); /* DIR/NNNNNN.png */
        heat_path = in_dir ? sibling(in_dir, "error") : NULL;     /* DIR/NNNNNN-error.png */
        free(in_dir);
        if (!heat.data || !heat_path) {
            st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t j = 0; j < plane; j++) {
        long label = lroundf(mask.data[j] * 255.0f);
        if (label != 1 && label != 3)
            continue;
        double a[3], b[3], na = 0.0, nb = 0.0;
        for (int c = 0; c < 3; c++) {
            a[c] = p->data[c * plane + j];
            b[c] = 2.0 * gt.data[c * plane + j] - 1.0;
            na += a[c] * a[c];
            nb += b[c] * b[c];
        }
        double cx = a[1] * b[2] - a[2] * b[1], cy = a[2] * b[0] - a[0] * b[2],
               cz = a[0] * b[1] - a[1] * b[0];
        double deg = atan2(sqrt(cx * cx + cy * cy + cz * cz), a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) *
                     (180.0 / M_PI);
        if (!(na > 0.0 && nb > 0.0) || isnan(deg))
            deg = 180.0;
        if (err_push(all, (float)deg) < 0) {
            st = fnrt_error(FNRT_ERR_NOMEM, "out of memory");
            goto done;
        }
        sum += deg;
        n_face++;
        if (heat.data) {
            float rgb[3];
            error_colour((float)deg, rgb);
            for (int c = 0; c < 3; c++)
                heat.data[c * plane + j] = rgb[c];
        }
    }
    if (n_face == 0) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s has no face pixels (labels 1 or 3)", mask_path);
        goto done;
    }
    *mean_out = sum / (double)n_face;
    if (heat.data && (st = write_image_png(heat_path, &heat, 8, force)) != FNRT_OK)
        goto done;
    rc = 0;
done:
    if (rc != 0)
        fprintf(stderr, "fnrt: %s: %s\n", img_path, fnrt_last_error());
    fnrt_image_free(&img);
    fnrt_image_free(&net);
    fnrt_image_free(&pred);
    fnrt_image_free(&gt);
    fnrt_image_free(&mask);
    fnrt_image_free(&sized);
    fnrt_image_free(&heat);
    free(gt_path);
    free(mask_path);
    free(heat_path);
    return rc;
}

int fnrt_cmd_eval(int argc, char **argv)
{
    const char *model_path = default_model(), *backend = "opencl", *device = NULL;
    const char *heat_dir = NULL, *mode = NULL;
    int force = 0;
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},  {"backend", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'}, {"heatmap", required_argument, 0, 'H'},
        {"force", no_argument, 0, 'f'},        {"help", no_argument, 0, 'h'},
        {"mode", required_argument, 0, 'M'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:b:d:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'b': backend = optarg; break;
        case 'd': device = optarg; break;
        case 'H': heat_dir = optarg; break;
        case 'M': mode = optarg; break;
        case 'f': force = 1; break;
        case 'h': usage_eval(stdout); return 0;
        default:
            fprintf(stderr, "fnrt eval: see 'fnrt eval --help'\n");
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "fnrt eval: give exactly one SET directory (see 'fnrt eval --help')\n");
        return EXIT_USAGE;
    }
    const char *set = argv[optind];
    if (!is_dir(set)) {
        fprintf(stderr, "fnrt eval: %s is not a directory\n", set);
        return EXIT_INPUT;
    }

    str_list found = {0}, samples = {0};
    err_list all = {0};
    fnrt_model *model = NULL;
    fnrt_session *sess = NULL;
    int rc = 0, had_dir = 0;
    char *dirs[1] = {(char *)set};
    if (collect_inputs(dirs, 1, &found, &had_dir) < 0) {
        rc = EXIT_INPUT;
        goto done;
    }
    for (size_t i = 0; i < found.n; i++)
        if (is_sample_image(found.v[i]) && list_push(&samples, found.v[i]) < 0) {
            rc = EXIT_INPUT;
            goto done;
        }
    if (samples.n == 0) {
        fprintf(stderr, "fnrt eval: no samples (NNNNNN.png with -normal.png and -mask.png) "
                        "in %s\n", set);
        rc = EXIT_INPUT;
        goto done;
    }
    if ((rc = load_model_or_report(model_path, mode, &model)) != 0)
        goto done;
    if (fnrt_session_create(model, backend, device, &sess) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = EXIT_DEVICE;
        goto done;
    }
    if (heat_dir && ensure_dir(heat_dir) < 0) {
        rc = EXIT_INPUT;
        goto done;
    }
    fnrt_model_info info;
    fnrt_model_get_info(model, &info);
    printf("model: %s\nset:   %s (%zu samples)\ndevice: %s\n", model_path, set, samples.n,
           fnrt_session_device(sess));
    size_t n_failed = 0;
    for (size_t i = 0; i < samples.n; i++) {
        double mean = 0.0;
        if (eval_one(sess, info.input_size, samples.v[i], heat_dir, force, &all, &mean) < 0)
            n_failed++;
        else
            printf("  %-40s mean %6.2f deg\n", samples.v[i], mean);
    }
    if (n_failed)
        rc = EXIT_INPUT;
    if (all.n == 0)
        goto done;
    qsort(all.v, all.n, sizeof *all.v, cmp_float);
    double sum = 0.0;
    size_t under[3] = {0, 0, 0};
    const double thr[3] = {11.25, 22.5, 30.0};
    for (size_t j = 0; j < all.n; j++) {
        sum += all.v[j];
        for (int k = 0; k < 3; k++)
            under[k] += all.v[j] < thr[k];
    }
    double median = all.n % 2 ? all.v[all.n / 2]
                              : 0.5 * ((double)all.v[all.n / 2 - 1] + all.v[all.n / 2]);
    double mean = sum / (double)all.n;
    printf("face pixels: %zu in %zu images (%zu failed)\n", all.n, samples.n - n_failed,
           n_failed);
    printf("mean %.3f deg, median %.3f deg, <11.25: %.2f%%, <22.5: %.2f%%, <30: %.2f%%\n", mean,
           median, 100.0 * under[0] / all.n, 100.0 * under[1] / all.n, 100.0 * under[2] / all.n);
    printf("eval: images=%zu pixels=%zu mean=%.4f median=%.4f under11.25=%.4f under22.5=%.4f "
           "under30=%.4f\n",
           samples.n - n_failed, all.n, mean, median, 100.0 * under[0] / all.n,
           100.0 * under[1] / all.n, 100.0 * under[2] / all.n);
done:
    free(all.v);
    list_free(&found);
    list_free(&samples);
    fnrt_session_free(sess);
    fnrt_model_free(model);
    return rc;
}
