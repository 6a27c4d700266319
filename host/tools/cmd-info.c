/* fnrt info: describe a model file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage_info(FILE *f)
{
    fprintf(f, "usage: fnrt info [--mode MODE] [MODEL]\n\n"
               "Prints the architecture and its modes, parameter count, graph size and GFLOP\n"
               "per image (total and per stage) of a model file (default %s);\n"
               "--mode describes the graph of that mode (default: the first one listed).\n",
            default_model());
}

int fnrt_cmd_info(int argc, char **argv)
{
    fnrt_model_options opts = {NULL};
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage_info(stdout);
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "--mode") == 0) {
        opts.mode = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        usage_info(stderr);
        return EXIT_USAGE;
    }
    const char *path = argc == 2 ? argv[1] : default_model();
    fnrt_model *m;
    fnrt_status st = fnrt_model_load_ex(path, &opts, &m);
    if (st != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        return st == FNRT_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_MODEL; /* no such --mode */
    }
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    printf("model:        %s\n", path);
    printf("architecture: %s\n", info.architecture);
    printf("modes:        %s (this graph: %s)\n", info.modes, info.mode);
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
