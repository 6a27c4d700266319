/* cl-kernel-log.so: an LD_PRELOAD shim for the oclgrind phase of tools/run-tests.sh.
 *
 * Appends the name of every kernel that clEnqueueNDRangeKernel accepted (CL_SUCCESS) to the
 * file $FNRT_CL_KERNEL_LOG, one name a line, and otherwise hands every call on unchanged to
 * the next definition of clEnqueueNDRangeKernel (under oclgrind: its runtime,
 * liboclgrind-rt.so, which must come after this shim in LD_PRELOAD).  The phase uses the log
 * to check that every kernel of kernels_cl/ ran under oclgrind; it replaces oclgrind's
 * --inst-counts listing, which corrupts oclgrind's heap (see the phase for the details).
 *
 * Build: cc -shared -fPIC -o cl-kernel-log.so cl-kernel-log.c -ldl
 * Not linked against libOpenCL: clGetKernelInfo resolves to the same implementation the
 * program uses (oclgrind's, preloaded). */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef cl_int (*enqueue_fn)(cl_command_queue, cl_kernel, cl_uint, const size_t *, const size_t *,
                             const size_t *, cl_uint, const cl_event *, cl_event *);

static enqueue_fn next_enqueue;
static pthread_once_t next_once = PTHREAD_ONCE_INIT;

static void find_next(void)
{
    next_enqueue = (enqueue_fn)dlsym(RTLD_NEXT, "clEnqueueNDRangeKernel");
}

/* One write() of "name\n" to a file opened with O_APPEND: whole lines even from threads. */
static void log_kernel(cl_kernel kernel)
{
    const char *path = getenv("FNRT_CL_KERNEL_LOG");
    char line[258];
    size_t n_name = 0;
    if (!path || !*path)
        return;
    if (clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof line - 1, line, &n_name) !=
            CL_SUCCESS ||
        n_name == 0 || n_name > sizeof line - 1)
        snprintf(line, sizeof line, "?"); /* the phase then reports an unknown kernel */
    size_t n = strlen(line);
    line[n++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, n) != (ssize_t)n)
        fprintf(stderr, "cl-kernel-log: short write to %s\n", path);
    close(fd);
}

CL_API_ENTRY cl_int CL_API_CALL clEnqueueNDRangeKernel(cl_command_queue queue, cl_kernel kernel,
                                                       cl_uint work_dim,
                                                       const size_t *global_offset,
                                                       const size_t *global_size,
                                                       const size_t *local_size, cl_uint n_wait,
                                                       const cl_event *wait, cl_event *event)
{
    pthread_once(&next_once, find_next);
    if (!next_enqueue) {
        fprintf(stderr, "cl-kernel-log: no clEnqueueNDRangeKernel after this shim\n");
        return CL_INVALID_OPERATION;
    }
    cl_int err = next_enqueue(queue, kernel, work_dim, global_offset, global_size, local_size,
                              n_wait, wait, event);
    if (err == CL_SUCCESS)
        log_kernel(kernel);
    return err;
}
