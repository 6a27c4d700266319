/* fnrt — face-normal estimation runtime: models, sessions, inference.
 *
 *   fnrt_model *m;   fnrt_model_load("model.safetensors", &m);
 *   fnrt_session *s; fnrt_session_create(m, "opencl", NULL, &s);
 *   fnrt_session_infer(s, rgb, normals, exemplar);   (planar float (3,256,256) each)
 *   fnrt_session_free(s); fnrt_model_free(m);
 *
 * All calls return an fnrt_status; on error fnrt_last_error() says why in one line. */
#ifndef FNRT_H
#define FNRT_H

#include <stddef.h>
#include <stdint.h>

#include "fnrt/fnrt-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fnrt_model fnrt_model;
typedef struct fnrt_session fnrt_session;

/* Loads and validates a model file (safetensors written by tools/fnrt-convert.py).
 * Every tensor the architecture needs is checked for presence, dtype and shape, and
 * BatchNorm layers are folded into the preceding convolutions. */
fnrt_status fnrt_model_load(const char *path, fnrt_model **out);
/* Same, from a safetensors image in memory (messages name it "<memory>").  The bytes are
 * not copied and must stay valid until fnrt_model_free(). */
fnrt_status fnrt_model_load_mem(const void *data, size_t n_bytes, fnrt_model **out);
void fnrt_model_free(fnrt_model *m);

/* Options of fnrt_model_load_ex; a zeroed struct (or NULL) means the defaults. */
typedef struct fnrt_model_options {
    /* Which graph to build: NULL or "" = the architecture's default (its first mode).
     *   fnr2r       "image"
     *   crossmodal  "image"      RGB photo -> normals, skip connections active
     *               "normal-ae"  normal map -> normals through the normal encoder and the
     *                            same decoder with every skip connection deactivated; the
     *                            input is the normal map encoded as fnrt writes PNGs,
     *                            v = (n+1)/2 in [0,1], in the same planar layout as an image.
     * A mode the architecture lacks fails with FNRT_ERR_INVALID_ARG. */
    const char *mode;
} fnrt_model_options;

/* fnrt_model_load with options (opts may be NULL). */
fnrt_status fnrt_model_load_ex(const char *path, const fnrt_model_options *opts,
                               fnrt_model **out);

typedef struct fnrt_model_info {
    const char *architecture; /* "fnr2r", "crossmodal" */
    int input_size;           /* network input side (256) */
    uint64_t n_params;        /* parameters in the file (BN statistics included) */
    uint64_t n_ops;           /* ops in the execution graph */
    double gflop;             /* multiply-adds x 2 per image, whole graph */
    const char *mode;         /* the mode the graph was built for ("image", ...) */
    const char *modes;        /* the architecture's modes, comma-separated, default first */
    int has_exemplar;         /* 1 if fnrt_session_infer can return an exemplar */
} fnrt_model_info;

void fnrt_model_get_info(const fnrt_model *m, fnrt_model_info *info);

/* Per-stage summary (fnr2r: coarse, guide, encoder, decoder; crossmodal: fullres, encoder,
 * decoder, or encoder, decoder in normal-ae mode). i from 0; returns 0 when i is past the
 * last stage. */
int fnrt_model_stage_info(const fnrt_model *m, int i, const char **name, double *gflop,
                          uint64_t *n_ops);

/* Creates a session on a backend ("ref" or "opencl"; NULL = "opencl") and device (backend
 * specific; NULL = default).  Uploads the weights. */
fnrt_status fnrt_session_create(const fnrt_model *m, const char *backend, const char *device,
                                fnrt_session **out);
void fnrt_session_free(fnrt_session *s);
/* One line naming the backend and device the session runs on. */
const char *fnrt_session_device(const fnrt_session *s);

/* Runs the network on one image.  rgb: planar (3,S,S) floats in [0,1] with S the model's
 * input size (in crossmodal normal-ae mode: the encoded normal map, see
 * fnrt_model_options).  normals: receives planar (3,S,S) unit normals (x right, y up, z
 * toward the viewer).  exemplar: optional (NULL), receives the coarse exemplar normals, same
 * layout; only for models with one (fnrt_model_info.has_exemplar), else
 * FNRT_ERR_INVALID_ARG. */
fnrt_status fnrt_session_infer(fnrt_session *s, const float *rgb, float *normals,
                               float *exemplar);

/* Bounds the device wait of each fnrt_session_infer and fnrt_session_collect to `seconds`
 * (0 = unbounded, the default; fnrt_session_infer_highres is not bounded).  When a wait
 * exceeds it, the call returns FNRT_ERR_TIMEOUT and the
 * session is abandoned: the device may still be running the work (a running kernel cannot
 * be cancelled), every later call fails fast with FNRT_ERR_TIMEOUT, and
 * fnrt_session_free releases only host memory (the device objects are leaked, not waited
 * for).  The normals/exemplar buffers of the images that were in flight may still be
 * written by the device until its work ends: do not free or reuse them (leak them).
 * Create a new session to go on.  FNRT_ERR_UNSUPPORTED on backends that cannot
 * bound their waits (ref: it computes on the calling thread). */
fnrt_status fnrt_session_set_timeout(fnrt_session *s, double seconds);

/* ---- Session options, streams, high resolution, profiling (core/session.c) ---- */

typedef struct fnrt_session_opts {
    int depth;      /* images in flight in a stream (fnrt_session_submit); 0 = 2 on backends
                     * with queues, 1 otherwise; at most FNRT_SESSION_MAX_DEPTH */
    int sequential; /* 1: all stages on one queue, one after another */
    int no_share;   /* 1: every activation its own buffer (no liveness-based reuse) */
    int tile_rows;  /* output rows per band of the tiled full-resolution chains;
                     * 0 = default (32), -1 = untiled */
    int trace;      /* 1: record stage start/end times (fnrt_session_trace_get) */
} fnrt_session_opts;

#define FNRT_SESSION_MAX_DEPTH 4

/* Creates a session with options (NULL = defaults, as fnrt_session_create). */
fnrt_status fnrt_session_create_ex(const fnrt_model *m, const char *backend,
                                   const char *device, const fnrt_session_opts *opts,
                                   fnrt_session **out);

/* Streams: submit enqueues one image (rgb is copied; normals and exemplar, NULL allowed
 * for exemplar, are written asynchronously and must stay valid until the image is
 * collected); up to fnrt_session_depth() images may be in flight, the stages of different
 * images overlapping (image i+1's coarse net runs while image i's refiner runs).  collect
 * waits for the oldest image in flight and returns its user pointer.  Submitting into a
 * full pipeline is FNRT_ERR_LIMIT, collecting from an empty one FNRT_ERR_INVALID_ARG.
 * fnrt_session_infer is submit + collect. */
int fnrt_session_depth(const fnrt_session *s);
int fnrt_session_in_flight(const fnrt_session *s);
fnrt_status fnrt_session_submit(fnrt_session *s, const float *rgb, float *normals,
                                float *exemplar, void *user);
fnrt_status fnrt_session_collect(fnrt_session *s, void **user);

/* High-resolution refinement: rgb planar (3,h,w) in [0,1], both sides >= the model's input
 * size S.  The coarse net and guide encoder run once on the image resized to S x S (their
 * exemplar and style), the refiner runs at the native resolution on overlapping S x S tiles
 * that are blended with smooth weights and re-normalised.  normals: (3,h,w); exemplar
 * (optional): (3,S,S).  overlap: pixels shared by neighbouring tiles (0 = S/4).  Memory
 * beyond the caller's images is bounded by the tile size. */
fnrt_status fnrt_session_infer_highres(fnrt_session *s, const float *rgb, int h, int w,
                                       int overlap, float *normals, float *exemplar);

/* Memory of a session: device bytes of parameters, stage pools, hand-off buffers (all
 * slots), tile rings, and what the activations would take with one buffer each. */
typedef struct fnrt_session_stats {
    uint64_t param_bytes, pool_bytes, slot_bytes, ring_bytes, naive_act_bytes;
    int depth, n_queues, n_stages, n_tiled_chains;
    double prepare_s; /* seconds spent preparing (packing) weights at creation */
} fnrt_session_stats;
void fnrt_session_get_stats(const fnrt_session *s, fnrt_session_stats *st);

/* One record per stage per image of a traced session: times in seconds on the host's
 * CLOCK_MONOTONIC (start = when its inputs and queue were ready, end = completion). */
typedef struct fnrt_trace_event {
    long image;
    int stage, queue;
    const char *stage_name;
    double t_start, t_end;
} fnrt_trace_event;
/* i from 0; returns 0 past the last record. */
int fnrt_session_trace_get(const fnrt_session *s, int i, fnrt_trace_event *ev);

/* Runs one image op by op, waiting after each, and stores the seconds of op i (graph order,
 * see fnrt_model_op_info) in seconds[i].  No images may be in flight. */
fnrt_status fnrt_session_profile_ops(fnrt_session *s, const float *rgb, double *seconds);

typedef struct fnrt_op_info {
    const char *name, *type, *stage;
    int stage_index;
    int out_c, out_h, out_w;
    double gflop;
} fnrt_op_info;
/* i from 0; returns 0 past the last op. */
int fnrt_model_op_info(const fnrt_model *m, int i, fnrt_op_info *info);

#ifdef __cplusplus
}
#endif
#endif
