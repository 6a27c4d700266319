/* fnrt devices: list backends, OpenCL platforms and devices. */
#include <stdio.h>
#include <string.h>

#include "backend/opencl/opencl.h"
#include "cli.h"

static void usage_devices(FILE *f)
{
    fprintf(f, "usage: fnrt devices\n\n"
               "Lists every OpenCL platform and device with the selectors -d accepts.\n");
}

int fnrt_cmd_devices(int argc, char **argv)
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
