/* fnrt bench: timing of a model on a backend — start-up, per-layer and per-stage time,
 * GFLOP/s and % of the device's measured FMA peak, single-image latency, stream
 * throughput, peak RSS, and a Chrome/Perfetto trace of the stage timeline. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend/opencl/opencl.h"
#include "cli.h"
#include "core/session.h"

static void usage_bench(FILE *f)
{
    fprintf(f,
            "usage: fnrt bench [-m MODEL] [-b BACKEND] [-d DEVICE] [options]\n"
            "\n"
            "Times inference on a deterministic synthetic image (or --input PNG) and prints:\n"
            "start-up (model load, session creation with weight packing, first image with\n"
            "kernel builds), the measured FMA peak of the device (OpenCL), per-layer and\n"
            "per-stage time with GFLOP/s and %% of that peak, single-image latency p50/p99,\n"
            "stream throughput, and peak RSS.  No assertion on any time.\n"
            "\n"
            "options:\n"
            "  -m, --model FILE      model (.safetensors); default %s\n"
            "      --mode MODE       graph mode of the model (see 'fnrt info')\n"
            "  -b, --backend NAME    opencl (default) or ref\n"
            "  -d, --device SPEC     OpenCL device (see 'fnrt devices')\n"
            "      --size S          image side: the network size (default) or larger for the\n"
            "                        high-resolution tiled refinement\n"
            "  -n, --iters N         single-image runs for the latency figures (default 5)\n"
            "      --stream N        also push N images through the pipelined stream\n"
            "      --depth D         images in flight in the stream (default 2)\n"
            "      --trace FILE      write the stage timeline of the stream (or of the\n"
            "                        single-image runs) as Chrome/Perfetto trace JSON\n"
            "      --no-layers       skip the per-layer profile\n"
            "      --no-peak         skip the FMA peak measurement\n"
            "      --sequential      one queue, stages one after another\n"
            "      --no-share        no liveness-based buffer sharing\n"
            "      --tile-rows R     rows per band of the tiled chains (default 32; -1 =\n"
            "                        untiled: the per-layer profile then times every layer\n"
            "                        on its own, else a chain's time is split by FLOPs)\n"
            "      --input PNG       time this image instead of the synthetic one\n"
            "  -h, --help            this text\n",
            default_model());
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static double pct(const double *v, int n, double p)
{
    int i = (int)ceil(p / 100.0 * n) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* CPU seconds (user + system) of this process so far: on a shared machine, where wall
 * time depends on the other load, CPU time per image divided by the cores used is the
 * wall time the image would take with the machine to itself. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* A smooth deterministic test image, (3,h,w). */
static void synth_image(float *x, int h, int w)
{
    size_t plane = (size_t)h * w;
    for (int y = 0; y < h; y++)
        for (int c = 0; c < w; c++) {
            double u = (double)c / w, v = (double)y / h;
            double r = sqrt((u - 0.5) * (u - 0.5) + (v - 0.45) * (v - 0.45));
            double face = r < 0.35 ? 1.0 - r : 0.2;
            x[(size_t)y * w + c] = (float)(0.6 * face + 0.1 * sin(17.0 * u));
            x[plane + (size_t)y * w + c] = (float)(0.45 * face + 0.1 * cos(11.0 * v));
            x[2 * plane + (size_t)y * w + c] = (float)(0.35 * face + 0.05 * sin(23.0 * u * v));
        }
}

static int write_trace(const char *path, const fnrt_session *s, int from, double t0)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "fnrt bench: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"fnrt "
               "session: %s\"}}", fnrt_session_device(s));
    fnrt_trace_event ev;
    int named[FNRT_BACKEND_MAX_QUEUES + 1] = {0};
    for (int i = from; fnrt_session_trace_get(s, i, &ev); i++) {
        if (ev.queue >= 0 && ev.queue <= FNRT_BACKEND_MAX_QUEUES && !named[ev.queue]) {
            named[ev.queue] = 1;
            fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,"
                       "\"args\":{\"name\":\"queue %d (%s)\"}}", ev.queue, ev.queue,
                    ev.stage_name);
        }
        fprintf(f, ",\n{\"name\":\"%s\",\"cat\":\"stage\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,"
                   "\"ts\":%.1f,\"dur\":%.1f,\"args\":{\"image\":%ld}}",
                ev.stage_name, ev.queue, (ev.t_start - t0) * 1e6,
                (ev.t_end - ev.t_start) * 1e6, ev.image);
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "fnrt bench: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

typedef struct bench_opts {
    const char *model, *backend, *device, *trace, *input;
    int size, iters, stream, depth, layers, peak, sequential, no_share, tile_rows;
} bench_opts;

int fnrt_cmd_bench(int argc, char **argv)
{
    bench_opts o = {default_model(), "opencl", NULL, NULL, NULL, 0, 5, 0, 0, 1, 1, 0, 0, 0};
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},  {"backend", required_argument, 0, 'b'},
        {"device", required_argument, 0, 'd'}, {"size", required_argument, 0, 'S'},
        {"iters", required_argument, 0, 'n'},  {"stream", required_argument, 0, 's'},
        {"depth", required_argument, 0, 'D'},  {"trace", required_argument, 0, 'T'},
        {"no-layers", no_argument, 0, 'L'},    {"no-peak", no_argument, 0, 'P'},
        {"sequential", no_argument, 0, 'Q'},   {"no-share", no_argument, 0, 'N'},
        {"input", required_argument, 0, 'I'},  {"help", no_argument, 0, 'h'},
        {"tile-rows", required_argument, 0, 'R'}, {"mode", required_argument, 0, 'M'},
        {0, 0, 0, 0}};
    const char *mode = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "m:b:d:n:h", longopts, NULL)) != -1) {
        int *iv = NULL, lo = 0;
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'M': mode = optarg; break;
        case 'b': o.backend = optarg; break;
        case 'd': o.device = optarg; break;
        case 'T': o.trace = optarg; break;
        case 'I': o.input = optarg; break;
        case 'L': o.layers = 0; break;
        case 'P': o.peak = 0; break;
        case 'Q': o.sequential = 1; break;
        case 'N': o.no_share = 1; break;
        case 'S': iv = &o.size, lo = 1; break;
        case 'n': iv = &o.iters, lo = 1; break;
        case 's': iv = &o.stream, lo = 0; break;
        case 'D': iv = &o.depth, lo = 1; break;
        case 'R':
            if (parse_int_opt(optarg, &o.tile_rows) < 0 && strcmp(optarg, "-1") != 0) {
                fprintf(stderr, "fnrt bench: bad value '%s' for --tile-rows\n", optarg);
                return EXIT_USAGE;
            }
            if (strcmp(optarg, "-1") == 0)
                o.tile_rows = -1;
            break;
        case 'h': usage_bench(stdout); return 0;
        default: fprintf(stderr, "fnrt bench: see 'fnrt bench --help'\n"); return EXIT_USAGE;
        }
        if (iv && (parse_int_opt(optarg, iv) < 0 || *iv < lo || *iv > 100000)) {
            fprintf(stderr, "fnrt bench: bad value '%s' for --%s\n", optarg,
                    c == 'S' ? "size" : c == 'n' ? "iters" : c == 's' ? "stream" : "depth");
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fnrt bench: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (o.depth > FNRT_SESSION_MAX_DEPTH) {
        fprintf(stderr, "fnrt bench: --depth is at most %d\n", FNRT_SESSION_MAX_DEPTH);
        return EXIT_USAGE;
    }

    int rc = 0;
    fnrt_model *m = NULL;
    fnrt_session *s = NULL;
    float *rgb = NULL, *net = NULL, *normals = NULL, *exemplar = NULL, *outs = NULL;
    double *lat = NULL, *op_t = NULL, *op_best = NULL, *t_sub = NULL, *lat_stream = NULL;
    fnrt_image img = {0};

    double t0 = now_s();
    int lrc = load_model_or_report(o.model, mode, &m);
    if (lrc)
        return lrc;
    double t_load = now_s() - t0;
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    int S = info.input_size;
    int size = o.size ? o.size : S;
    if (size < S) {
        fprintf(stderr, "fnrt bench: --size must be at least the network size %d\n", S);
        rc = EXIT_USAGE;
        goto done;
    }
    int highres = size != S;

    fnrt_session_opts so = {0};
    so.depth = o.depth;
    so.sequential = o.sequential;
    so.no_share = o.no_share;
    so.tile_rows = o.tile_rows;
    so.trace = 1;
    t0 = now_s();
    if (fnrt_session_create_ex(m, o.backend, o.device, &so, &s) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = EXIT_DEVICE;
        goto done;
    }
    double t_create = now_s() - t0;
    const fnrt_backend_ops *be;
    void *bctx;
    fnrt_session_backend(s, &be, &bctx);
    int is_cl = strcmp(be->name, "opencl") == 0;
    long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    int n_cores = nproc > 0 ? (int)nproc : 1;

    size_t n_net = (size_t)3 * S * S, n_img = (size_t)3 * size * size;
    rgb = malloc(n_img * sizeof(float));
    net = malloc(n_net * sizeof(float));
    normals = malloc(n_img * sizeof(float));
    exemplar = info.has_exemplar ? malloc(n_net * sizeof(float)) : NULL; /* fetched too */
    lat = calloc((size_t)o.iters, sizeof *lat);
    if (!rgb || !net || !normals || (info.has_exemplar && !exemplar) || !lat) {
        fprintf(stderr, "fnrt bench: out of memory\n");
        rc = EXIT_INPUT;
        goto done;
    }
    if (o.input) {
        fnrt_image dst = {3, size, size, rgb};
        if (fnrt_png_read(o.input, NULL, &img) != FNRT_OK ||
            fnrt_image_resize(&img, &dst) != FNRT_OK) {
            fprintf(stderr, "fnrt: %s: %s\n", o.input, fnrt_last_error());
            rc = EXIT_INPUT;
            goto done;
        }
    } else {
        synth_image(rgb, size, size);
    }
    if (highres) {
        fnrt_image src = {3, size, size, rgb}, dst = {3, S, S, net};
        fnrt_image_resize(&src, &dst);
    } else {
        memcpy(net, rgb, n_net * sizeof(float));
    }

    printf("model:     %s (%s, %.1f M parameters, %.3f GFLOP/image at %dx%d)\n", o.model,
           info.architecture, (double)info.n_params * 1e-6, info.gflop, S, S);
    printf("device:    %s\n", fnrt_session_device(s));
    double peak = 0.0;
    if (is_cl && o.peak) {
        if (fnrt_opencl_measure_peak(bctx, &peak) != FNRT_OK) {
            fprintf(stderr, "fnrt bench: peak: %s\n", fnrt_last_error());
            peak = 0.0;
        } else {
            printf("peak:      %.1f GFLOP/s measured (float16 FMA chains, kernels_cl/peak.cl)\n",
                   peak);
        }
    }

    /* start-up */
    t0 = now_s();
    fnrt_status st = highres ? fnrt_session_infer_highres(s, rgb, size, size, 0, normals, exemplar)
                             : fnrt_session_infer(s, rgb, normals, exemplar);
    if (st != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        rc = EXIT_DEVICE;
        goto done;
    }
    double t_first = now_s() - t0;
    fnrt_session_stats ss;
    fnrt_session_get_stats(s, &ss);
    printf("\nstart-up:  model load %.3f s, session create %.3f s (weight packing %.3f s), "
           "first image %.3f s\n", t_load, t_create, ss.prepare_s, t_first);
    if (is_cl) {
        unsigned hits, misses, broken;
        fnrt_opencl_cache_stats(bctx, &hits, &misses, &broken);
        printf("programs:  %u from the cache, %u compiled (%u broken entries) in %.3f s, cache "
               "%s\n", hits, misses, broken, fnrt_opencl_build_seconds(bctx),
               fnrt_opencl_cache_dir(bctx));
    }
    printf("memory:    weights %.1f MiB, stage pools %.1f MiB (unshared: %.1f MiB), "
           "hand-off buffers %.1f MiB (%d slot%s), %d queue%s\n",
           (double)ss.param_bytes / 1048576.0, (double)ss.pool_bytes / 1048576.0,
           (double)ss.naive_act_bytes / 1048576.0, (double)ss.slot_bytes / 1048576.0,
           ss.depth, ss.depth == 1 ? "" : "s", ss.n_queues, ss.n_queues == 1 ? "" : "s");

    /* per layer */
    if (o.layers && !highres) {
        int n_ops = (int)info.n_ops;
        op_t = calloc((size_t)n_ops, sizeof *op_t);
        op_best = calloc((size_t)n_ops, sizeof *op_best);
        if (!op_t || !op_best) {
            rc = EXIT_INPUT;
            goto done;
        }
        int reps = o.iters < 3 ? o.iters : 3;
        for (int r = 0; r < reps; r++) {
            if (fnrt_session_profile_ops(s, net, op_t) != FNRT_OK) {
                fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
                rc = EXIT_DEVICE;
                goto done;
            }
            for (int i = 0; i < n_ops; i++)
                if (r == 0 || op_t[i] < op_best[i])
                    op_best[i] = op_t[i];
        }
        printf("\nper layer (one image, op by op with a wait after each, best of %d):\n", reps);
        printf("  %-28s %-10s %-8s %-15s %9s %9s %6s\n", "layer", "op", "stage", "output", "ms",
               "GFLOP/s", "%peak");
        double st_t[FNRT_PLAN_MAX_STAGES] = {0}, st_f[FNRT_PLAN_MAX_STAGES] = {0}, tot = 0;
        double conv_t = 0, conv_f = 0;
        const char *st_n[FNRT_PLAN_MAX_STAGES] = {0};
        fnrt_op_info oi;
        for (int i = 0; fnrt_model_op_info(m, i, &oi); i++) {
            char shape[32];
            snprintf(shape, sizeof shape, "%dx%dx%d", oi.out_c, oi.out_h, oi.out_w);
            double gfs = oi.gflop > 0 ? oi.gflop / op_best[i] : 0.0;
            printf("  %-28s %-10s %-8s %-15s %9.3f ", oi.name, oi.type, oi.stage, shape,
                   op_best[i] * 1e3);
            if (oi.gflop > 0)
                printf("%9.1f %6.1f\n", gfs, peak > 0 ? 100.0 * gfs / peak : 0.0);
            else
                printf("%9s %6s\n", "-", "-");
            int k = oi.stage_index >= 0 && oi.stage_index < FNRT_PLAN_MAX_STAGES
                        ? oi.stage_index : 0;
            st_t[k] += op_best[i];
            st_f[k] += oi.gflop;
            st_n[k] = oi.stage;
            tot += op_best[i];
            if (strcmp(oi.type, "conv2d") == 0 || strcmp(oi.type, "deconv2d") == 0) {
                conv_t += op_best[i];
                conv_f += oi.gflop;
            }
        }
        printf("\nper stage (sum of its layers):\n");
        for (int k = 0; k < FNRT_PLAN_MAX_STAGES; k++)
            if (st_n[k])
                printf("  %-10s %9.1f ms %9.3f GFLOP %8.1f GFLOP/s %6.1f %%peak\n", st_n[k],
                       st_t[k] * 1e3, st_f[k], st_f[k] / st_t[k],
                       peak > 0 ? 100.0 * st_f[k] / st_t[k] / peak : 0.0);
        printf("  %-10s %9.1f ms %9.3f GFLOP %8.1f GFLOP/s %6.1f %%peak\n", "all", tot * 1e3,
               info.gflop, info.gflop / tot, peak > 0 ? 100.0 * info.gflop / tot / peak : 0.0);
        printf("  %-10s %9.1f ms %9.3f GFLOP %8.1f GFLOP/s %6.1f %%peak\n", "conv+deconv",
               conv_t * 1e3, conv_f, conv_f / conv_t,
               peak > 0 ? 100.0 * conv_f / conv_t / peak : 0.0);
    }

    /* latency */
    int n_tiles = 1;
    double gflop_img = highres ? fnrt_session_highres_gflop(s, size, size, 0, &n_tiles)
                               : info.gflop;
    if (highres)
        printf("\nhigh-res:  %dx%d in %d tiles of %dx%d, %.1f GFLOP/image\n", size, size,
               n_tiles, S, S, gflop_img);
    double c0 = cpu_s(), w0 = now_s();
    for (int r = 0; r < o.iters; r++) {
        t0 = now_s();
        st = highres ? fnrt_session_infer_highres(s, rgb, size, size, 0, normals, exemplar)
                     : fnrt_session_infer(s, rgb, normals, exemplar);
        if (st != FNRT_OK) {
            fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
            rc = EXIT_DEVICE;
            goto done;
        }
        lat[r] = now_s() - t0;
    }
    double cpu_img = (cpu_s() - c0) / o.iters, wall_img = (now_s() - w0) / o.iters;
    qsort(lat, (size_t)o.iters, sizeof *lat, cmp_double);
    double p50 = pct(lat, o.iters, 50), p95 = pct(lat, o.iters, 95),
           p99 = pct(lat, o.iters, 99);
    printf("\nlatency:   %d image%s of %dx%d, one at a time: p50 %.3f s, p95 %.3f s, p99 %.3f s, "
           "max %.3f s, min %.3f s", o.iters, o.iters == 1 ? "" : "s", size, size, p50, p95, p99,
           lat[o.iters - 1], lat[0]);
    if (gflop_img > 0)
        printf(" -> %.1f GFLOP/s effective at p50", gflop_img / p50);
    if (gflop_img > 0 && peak > 0)
        printf(" (%.1f %% of peak)", 100.0 * gflop_img / p50 / peak);
    printf("\n");
    printf("           CPU time %.3f s/image over %.3f s wall: %.1f cores busy; %d cores -> "
           "%.3f s/image with the machine to itself (%.1f GFLOP/s)\n", cpu_img, wall_img,
           cpu_img / wall_img, n_cores, cpu_img / n_cores,
           gflop_img > 0 ? gflop_img / (cpu_img / n_cores) : 0.0);

    /* stream */
    double trace_t0 = 0.0;
    int trace_from = 0;
    if (o.stream > 0 && !highres) {
        int depth = fnrt_session_depth(s);
        outs = malloc((size_t)depth * n_net * sizeof(float));
        t_sub = malloc((size_t)o.stream * sizeof *t_sub);
        lat_stream = malloc((size_t)o.stream * sizeof *lat_stream);
        if (!outs || !t_sub || !lat_stream) {
            rc = EXIT_INPUT;
            goto done;
        }
        fnrt_trace_event ev;
        int n_before = 0;
        while (fnrt_session_trace_get(s, n_before, &ev))
            n_before++;
        double sc0 = cpu_s();
        t0 = now_s();
        trace_t0 = t0;
        trace_from = n_before;
        int submitted = 0, collected = 0;
        while (collected < o.stream) {
            while (submitted < o.stream && fnrt_session_in_flight(s) < depth) {
                float *out = outs + (size_t)(submitted % depth) * n_net;
                if (fnrt_session_submit(s, net, out, NULL, NULL) != FNRT_OK) {
                    fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
                    rc = EXIT_DEVICE;
                    goto done;
                }
                t_sub[submitted++] = now_s();
            }
            if (fnrt_session_collect(s, NULL) != FNRT_OK) {
                fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
                rc = EXIT_DEVICE;
                goto done;
            }
            /* images complete in submission order: request latency = submit -> collected */
            lat_stream[collected] = now_s() - t_sub[collected];
            collected++;
        }
        double dt = now_s() - t0, scpu = (cpu_s() - sc0) / o.stream;
        printf("stream:    %d images, %d in flight, %d queue%s: %.3f s/image, %.2f images/s, "
               "%.1f GFLOP/s effective", o.stream, depth, ss.n_queues,
               ss.n_queues == 1 ? "" : "s", dt / o.stream, o.stream / dt,
               info.gflop * o.stream / dt);
        if (peak > 0)
            printf(" (%.1f %% of peak)", 100.0 * info.gflop * o.stream / dt / peak);
        printf("\n");
        printf("           CPU time %.3f s/image: %.3f s/image, %.1f GFLOP/s with the machine "
               "to itself\n", scpu, scpu / n_cores, info.gflop / (scpu / n_cores));
        qsort(lat_stream, (size_t)o.stream, sizeof *lat_stream, cmp_double);
        printf("           request latency in the stream (submit -> result, not 1/throughput): "
               "p50 %.3f s, p95 %.3f s, p99 %.3f s, max %.3f s\n", pct(lat_stream, o.stream, 50),
               pct(lat_stream, o.stream, 95), pct(lat_stream, o.stream, 99),
               lat_stream[o.stream - 1]);
        /* stage busy time per image from the trace of the stream */
        double busy[FNRT_PLAN_MAX_STAGES] = {0};
        const char *names[FNRT_PLAN_MAX_STAGES] = {0};
        for (int i = n_before; fnrt_session_trace_get(s, i, &ev); i++)
            if (ev.stage >= 0 && ev.stage < FNRT_PLAN_MAX_STAGES) {
                busy[ev.stage] += ev.t_end - ev.t_start;
                names[ev.stage] = ev.stage_name;
            }
        printf("           stage time per image in the stream (overlapping):");
        for (int k = 0; k < FNRT_PLAN_MAX_STAGES; k++)
            if (names[k])
                printf(" %s %.1f ms", names[k], busy[k] / o.stream * 1e3);
        printf("\n");
    }
    printf("peak RSS:  %.1f MiB\n", peak_rss_mib());
    if (o.trace) {
        if (trace_t0 == 0.0) {
            fnrt_trace_event ev;
            trace_t0 = fnrt_session_trace_get(s, 0, &ev) ? ev.t_start : now_s();
        }
        if (write_trace(o.trace, s, trace_from, trace_t0) < 0)
            rc = EXIT_INPUT;
        else
            printf("trace:     %s (open in ui.perfetto.dev or chrome://tracing)\n", o.trace);
    }
done:
    free(rgb);
    free(net);
    free(normals);
    free(exemplar);
    free(outs);
    free(lat);
    free(t_sub);
    free(lat_stream);
    free(op_t);
    free(op_best);
    fnrt_image_free(&img);
    fnrt_session_free(s);
    fnrt_model_free(m);
    return rc;
}
