/* The morphable face model used by fnrt-facegen, and mesh synthesis from it.
 *
 * File format (safetensors): neutral F32 [V,3] (cm), identity F16/F32 [NI,V,3],
 * expression F16/F32 [NE,V,3], triangles I32 [T,3] (counter-clockwise seen from the
 * front), region U8 [V] (0 face, 1 head and neck, 2 eyeball).  The face looks along +z with
 * +x to the image right and +y up.  Optional metadata "expressions": comma-separated names. */
#ifndef FNRT_FACEGEN_FACE_MODEL_H
#define FNRT_FACEGEN_FACE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "fnrt/fnrt-status.h"

#define FNRT_FG_MAX_MODES 256 /* identity and expression modes each */
#define FNRT_FG_MAX_VERTS 4000000
#define FNRT_FG_MAX_TRIS 8000000

enum fnrt_fg_region {
    FNRT_FG_REGION_FACE = 0,
    FNRT_FG_REGION_HEAD = 1,
    FNRT_FG_REGION_EYE = 2,
    FNRT_FG_N_REGIONS = 3
};

typedef struct fnrt_fg_model {
    int n_verts, n_tris, n_id, n_expr;
    float *neutral;      /* n_verts*3 */
    float *identity;     /* n_id*n_verts*3 */
    float *expression;   /* n_expr*n_verts*3 */
    int32_t *tris;       /* n_tris*3, every index in [0,n_verts) */
    uint8_t *region;     /* n_verts, values < FNRT_FG_N_REGIONS */
    uint8_t *tri_region; /* n_tris: majority region of the corners */
    /* Derived at load time from the neutral mesh: */
    float *eye_cos; /* n_verts: cosine between (vertex - eyeball centre) and the eyeball's
                     * forward axis for eyeball vertices, -2 elsewhere */
    float *lip;     /* n_verts: 0..1, how much the vertex belongs to the lips (by position) */
    uint8_t *frame; /* n_verts: 1 for vertices that define the framing box (face region) */
    int n_frame;
    int expr_cap_index; /* expression whose weight is capped (jawOpen: the light model has no
                         * mouth interior), -1 if none */
} fnrt_fg_model;

/* Loads and validates a model file; every shape, dtype and index is checked. */
fnrt_status fnrt_fg_model_load(const char *path, fnrt_fg_model **out);
void fnrt_fg_model_free(fnrt_fg_model *m);

/* pos = neutral + sum_i id_w[i]*identity[i] + sum_j expr_w[j]*expression[j]
 * (id_w has n_id entries, expr_w n_expr; zero weights are skipped). */
void fnrt_fg_model_mesh(const fnrt_fg_model *m, const float *id_w, const float *expr_w, float *pos);
/* Area-weighted vertex normals (unit length; (0,0,1) for vertices without area). */
void fnrt_fg_vertex_normals(const fnrt_fg_model *m, const float *pos, float *nrm);

#endif
