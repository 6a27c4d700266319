/* oclgrind 21.10's --inst-counts corrupts its own heap; no fnrt code involved.
 *
 *   cc -o /tmp/ic-bug tests/sanitizers/oclgrind-inst-counts-bug.c -lOpenCL
 *   oclgrind --num-threads 1 --inst-counts /tmp/ic-bug   -> "free(): invalid size", abort
 *   oclgrind --num-threads 1 --data-races --check-api /tmp/ic-bug   -> clean, "ok"
 *
 * InstructionCounter::workGroupComplete merges a work-group's counts into the kernel's, giving
 * each called function the next free slot of its list; when a work-group calls a function the
 * earlier work-groups did not, that slot lies past the end of the count vector (sized to the
 * longest work-group list so far).  Here every work-group calls another math builtin; in fnrt
 * the tail work-group of fnrt_add/fnrt_maxmerge calls scalar fmax/tanh after float4 ones.
 * Why the oclgrind phase of tools/run-tests.sh does not use --inst-counts; try this again
 * after an oclgrind upgrade. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>

static const char *src = "__kernel void k(__global float *y)\n"
                         "{\n"
                         "    size_t i = get_global_id(0);\n"
                         "    float x = y[i];\n"
                         "    switch (get_group_id(0)) {\n"
                         "    case 0: x = sin(x) + cos(x); break;\n"
                         "    case 1: x = exp(x); break;\n"
                         "    case 2: x = log(x); break;\n"
                         "    case 3: x = tanh(x); break;\n"
                         "    case 4: x = sqrt(x); break;\n"
                         "    case 5: x = atan(x); break;\n"
                         "    case 6: x = cbrt(x); break;\n"
                         "    default: x = erf(x); break;\n"
                         "    }\n"
                         "    y[i] = x;\n"
                         "}\n";

int main(void)
{
    float y[32];
    size_t n = 32, ls = 4; /* 8 work-groups */
    cl_platform_id platform;
    cl_device_id device;
    cl_int err = CL_SUCCESS;
    for (size_t i = 0; i < n; i++)
        y[i] = 0.5f + (float)i;
    if (clGetPlatformIDs(1, &platform, NULL) != CL_SUCCESS ||
        clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL) != CL_SUCCESS)
        return 1;
    cl_context ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
    cl_command_queue q = clCreateCommandQueue(ctx, device, 0, &err);
    cl_program prog = clCreateProgramWithSource(ctx, 1, &src, NULL, &err);
    if (clBuildProgram(prog, 1, &device, "", NULL, NULL) != CL_SUCCESS)
        return 1;
    cl_kernel k = clCreateKernel(prog, "k", &err);
    cl_mem buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof y, y, &err);
    clSetKernelArg(k, 0, sizeof buf, &buf);
    for (int rep = 0; rep < 3; rep++)
        err |= clEnqueueNDRangeKernel(q, k, 1, NULL, &n, &ls, 0, NULL, NULL);
    err |= clEnqueueReadBuffer(q, buf, CL_TRUE, 0, sizeof y, y, 0, NULL, NULL);
    clReleaseMemObject(buf);
    clReleaseKernel(k);
    clReleaseProgram(prog);
    clReleaseCommandQueue(q);
    clReleaseContext(ctx);
    puts(err == CL_SUCCESS ? "ok" : "OpenCL error");
    return err != CL_SUCCESS;
}
