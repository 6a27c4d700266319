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

typedef struct fnrt_model_info {
    const char *architecture; /* "fnr2r" */
    int input_size;           /* network input side (256) */
    uint64_t n_params;        /* parameters in the file (BN statistics included) */
    uint64_t n_ops;           /* ops in the execution graph */
    double gflop;             /* multiply-adds x 2 per image, whole graph */
} fnrt_model_info;

void fnrt_model_get_info(const fnrt_model *m, fnrt_model_info *info);

/* Per-stage summary (coarse, guide, encoder, decoder, ...). i from 0; returns 0 when i is
 * past the last stage. */
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
 * input size.  normals: receives planar (3,S,S) unit normals (x right, y up, z toward the
 * viewer).  exemplar: optional (NULL), receives the coarse exemplar normals, same layout. */
fnrt_status fnrt_session_infer(fnrt_session *s, const float *rgb, float *normals,
                               float *exemplar);

#ifdef __cplusplus
}
#endif
#endif
