/* fnrt — command-line front end.  Each sub-command lives in cmd-<name>.c; exit codes are
 * documented in cli.h. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const fnrt_cli_command commands[] = {
    {"infer", "estimate normal maps of face images", fnrt_cmd_infer},
    {"info", "describe a model file (architecture, parameters, FLOPs per stage)", fnrt_cmd_info},
    {"devices", "list OpenCL platforms and devices", fnrt_cmd_devices},
    {"plan", "print the stage partition, tiles, FLOPs and memory plan of a model", fnrt_cmd_plan},
    {"bench", "time a model: per layer/stage, latency, stream throughput, trace", fnrt_cmd_bench},
    {"eval", "accuracy on a labelled set (mean/median angular error)", fnrt_cmd_eval},
    {"diff", "compare two backends layer by layer against the tolerance table", fnrt_cmd_diff},
    {"doctor", "preflight: devices, caches, XRT, model integrity, one test inference",
     fnrt_cmd_doctor},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage_main(FILE *f)
{
    fprintf(f, "usage: fnrt <command> [options]\n\n"
               "Face-normal estimation on OpenCL devices (PoCL on the CPU, GPUs, FPGAs).\n\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'fnrt <command> --help' describes each command.\n"
               "exit status: 0 ok, 1 an input/output failed, 2 usage, 3 model, 4 device,\n"
               "130 interrupted.\n");
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
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fnrt: unknown command '%s'\n", cmd);
    usage_main(stderr);
    return EXIT_USAGE;
}
