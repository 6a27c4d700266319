/* One synthetic face sample: its random parameters and the renderer that turns them into an
 * RGB image, an exact camera-space normal map and a region mask.
 *
 * Camera: at the origin looking down -z, x right, y up (the normal map uses the same axes,
 * so visible normals mostly have z > 0).  A model point p goes to camera space as
 * rot*(p - centre) + (0,0,-distance) and to pixel u = cx + focal*X/(-Z),
 * v = cy - focal*Y/(-Z) (pixel (i,j) covers [i,i+1) x [j,j+1); row 0 is the top). */
#ifndef FNRT_FACEGEN_RENDER_H
#define FNRT_FACEGEN_RENDER_H

#include <stdint.h>

#include "augment.h"
#include "face-model.h"
#include "shading.h"

#define FNRT_FG_MIN_SIZE 16
#define FNRT_FG_MAX_SIZE 2048

/* Mask labels: region + 1. */
enum fnrt_fg_label {
    FNRT_FG_LABEL_BACKGROUND = 0,
    FNRT_FG_LABEL_FACE = 1,
    FNRT_FG_LABEL_HEAD = 2,
    FNRT_FG_LABEL_EYE = 3
};

typedef struct fnrt_fg_options {
    int size;          /* output width = height, pixels */
    int debug_frontal; /* yaw = pitch = roll = 0, neutral identity and expression, centred */
} fnrt_fg_options;

typedef struct fnrt_fg_sample {
    uint64_t seed, index;
    float id_w[FNRT_FG_MAX_MODES];   /* identity weights, N(0,1) */
    float expr_w[FNRT_FG_MAX_MODES]; /* expression weights in [0,1], mostly 0 */
    float yaw, pitch, roll;          /* radians: about y, then x, then z */
    float distance;                  /* cm from the camera to the head centre */
    float frame_frac;                /* framing-box extent / image size */
    float offset[2];                 /* framing-box centre offset, fraction of the size */
    float focal_override;            /* > 0: focal length in pixels, principal point at the
                                      * image centre + offset, no framing (tests) */
    fnrt_fg_albedo albedo;
    fnrt_fg_lighting lighting;
    fnrt_fg_background background;
    fnrt_fg_degrade degrade;
    int degrade_off; /* 1: no degradations (tests) */
} fnrt_fg_sample;

typedef struct fnrt_fg_camera {
    float focal, cx, cy;
    float rot[9]; /* row-major */
    float centre[3];
    float distance;
} fnrt_fg_camera;

typedef struct fnrt_fg_output {
    int size;
    const float *rgb;    /* 3*size*size planar, [0,1] */
    const float *normal; /* size*size*3 interleaved (HWC), unit inside the mask, 0 outside */
    const uint8_t *mask; /* size*size labels (enum fnrt_fg_label) */
    fnrt_fg_camera camera;
    int n_visible; /* pixels inside the mask */
} fnrt_fg_output;

/* Pixel position (u right, v down) of a model-space point under camera c. */
void fnrt_fg_project(const fnrt_fg_camera *c, const float p[3], float *u, float *v);

/* Draws every random choice of sample `index` of a run with `seed` (deterministic). */
void fnrt_fg_sample_draw(const fnrt_fg_model *m, const fnrt_fg_options *opt, uint64_t seed,
                         uint64_t index, fnrt_fg_sample *s);

/* Per-thread buffers for one image size. */
typedef struct fnrt_fg_work fnrt_fg_work;
fnrt_status fnrt_fg_work_create(const fnrt_fg_model *m, int size, fnrt_fg_work **out);
void fnrt_fg_work_free(fnrt_fg_work *w);

/* Renders a sample; out points into w's buffers (valid until the next render/free). */
fnrt_status fnrt_fg_render(fnrt_fg_work *w, const fnrt_fg_sample *s, fnrt_fg_output *out);

#endif
