/* fnrt diff: layer-by-layer comparison of two backends (core/graph-diff.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/graph-diff.h"

static void usage_diff(FILE *f)
{
    fprintf(f,
            "usage: fnrt diff [-m MODEL] [--devices A,B] [options] IMAGE\n"
            "\n"
            "Runs the model's graph on two backends op by op and prints, per layer, the largest\n"
            "absolute and relative (to the layer's max |A|) difference against the tolerance\n"
            "table, stopping at the first layer out of tolerance.\n"
            "\n"
            "options:\n"
            "  -m, --model FILE      model (.safetensors); default %s\n"
            "      --mode MODE       the model's mode (see 'fnrt info')\n"
            "      --devices A,B     the two sides, each backend[:device]: ref, opencl,\n"
            "                        opencl:N, opencl:P:N, opencl:<part of the name>\n"
            "                        (default ref,opencl)\n"
            "      --chain           each backend runs on its own results (errors accumulate;\n"
            "                        one looser tolerance); default: isolated, B's op reads\n"
            "                        A's inputs, so each layer is judged on its own error\n"
            "  -k, --keep-going      compare every layer, do not stop at the first failure\n"
            "      --dump DIR        write every intermediate as DIR/A/<layer>.npy and\n"
            "                        DIR/B/<layer>.npy (float32, (C,H,W), graph layer names;\n"
            "                        'tools/reference.py --dump DIR/torch' writes the PyTorch side)\n"
            "  -h, --help            this text\n"
            "\n"
            "Testing hook: FNRT_DIFF_INJECT=<layer> perturbs that layer's B-side output.\n"
            "exit status: 0 every layer within tolerance, 1 a layer out of tolerance or the\n"
            "image unreadable, 2 usage, 3 model, 4 a backend could not be opened or run.\n",
            default_model());
}

int fnrt_cmd_diff(int argc, char **argv)
{
    const char *model_path = default_model(), *mode = NULL, *devices = "ref,opencl";
    fnrt_diff_opts o = {0};
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},   {"mode", required_argument, 0, 'M'},
        {"devices", required_argument, 0, 'D'}, {"dump", required_argument, 0, 'U'},
        {"chain", no_argument, 0, 'C'},         {"keep-going", no_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:kh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'M': mode = optarg; break;
        case 'D': devices = optarg; break;
        case 'U': o.dump_dir = optarg; break;
        case 'C': o.chain = 1; break;
        case 'k': o.keep_going = 1; break;
        case 'h': usage_diff(stdout); return 0;
        default: fprintf(stderr, "fnrt diff: see 'fnrt diff --help'\n"); return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "fnrt diff: exactly one IMAGE expected (see 'fnrt diff --help')\n");
        return EXIT_USAGE;
    }
    char dev_a[256], dev_b[256];
    const char *comma = strchr(devices, ',');
    if (!comma || comma == devices || !comma[1] || (size_t)(comma - devices) >= sizeof dev_a ||
        strlen(comma + 1) >= sizeof dev_b || strchr(comma + 1, ',')) {
        fprintf(stderr, "fnrt diff: --devices must be A,B (e.g. ref,opencl:0), not '%s'\n",
                devices);
        return EXIT_USAGE;
    }
    memcpy(dev_a, devices, (size_t)(comma - devices));
    dev_a[comma - devices] = '\0';
    snprintf(dev_b, sizeof dev_b, "%s", comma + 1);
    o.dev_a = dev_a;
    o.dev_b = dev_b;
    const char *inject = getenv("FNRT_DIFF_INJECT");
    o.inject = inject && *inject ? inject : NULL;

    int rc = 0;
    fnrt_model *model = NULL;
    fnrt_image img = {0}, net = {0};
    fnrt_model_options mopts = {mode};
    fnrt_status st = fnrt_model_load_ex(model_path, &mopts, &model);
    if (st != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        return st == FNRT_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_MODEL;
    }
    fnrt_model_info info;
    fnrt_model_get_info(model, &info);
    int size = info.input_size;
    if ((st = fnrt_png_read(argv[optind], NULL, &img)) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = EXIT_INPUT;
        goto done;
    }
    net = (fnrt_image){3, size, size, malloc((size_t)3 * size * size * sizeof(float))};
    if (!net.data || fnrt_image_resize(&img, &net) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", net.data ? fnrt_last_error() : "out of memory");
        rc = EXIT_INPUT;
        goto done;
    }
    if (o.inject)
        fprintf(stderr, "fnrt diff: FNRT_DIFF_INJECT=%s: perturbing that layer on side B "
                        "(testing hook)\n", o.inject);
    fnrt_diff_result r;
    st = fnrt_graph_diff(model, net.data, &o, &r);
    fflush(stdout);
    if (st != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = st == FNRT_ERR_INVALID_ARG ? EXIT_USAGE : st == FNRT_ERR_IO ? EXIT_INPUT
                                                                          : EXIT_DEVICE;
        goto done;
    }
    if (r.n_failed) {
        printf("FAIL: first layer out of tolerance: %s (op %d); %d of %d layers compared "
               "failed\n", r.first_fail_name, r.first_fail, r.n_failed, r.n_compared);
        rc = EXIT_INPUT;
    } else {
        printf("ok: all %d layers within tolerance (worst at %.2g of its tolerance)\n",
               r.n_compared, r.worst_ratio);
    }
    if (o.dump_dir)
        printf("intermediates written to %s/A and %s/B\n", o.dump_dir, o.dump_dir);
done:
    fnrt_image_free(&img);
    fnrt_image_free(&net);
    fnrt_model_free(model);
    return rc;
}
