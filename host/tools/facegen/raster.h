/* Z-buffer triangle rasteriser producing a visibility buffer: per pixel the nearest
 * front-facing triangle and its perspective-correct barycentric weights.
 *
 * Vertices are given in pixel coordinates (u right, v down; pixel (i,j) is sampled at its
 * centre (i+0.5, j+0.5)) together with 1/depth.  Edges are evaluated exactly in fixed point
 * (8 sub-pixel bits) with a tie rule that gives every pixel on an edge shared by two
 * triangles to exactly one of them, so closed meshes show no cracks. */
#ifndef FNRT_FACEGEN_RASTER_H
#define FNRT_FACEGEN_RASTER_H

#include <stdint.h>

#include "fnrt/fnrt-status.h"

#define FNRT_FG_RASTER_MAX_SIZE 8192

typedef struct fnrt_fg_raster {
    int w, h;
    int32_t *tri;     /* w*h: triangle index, -1 where nothing was drawn */
    float *inv_depth; /* w*h: 1/depth of the nearest surface (0 = empty) */
    float *bary;      /* w*h*3: perspective-correct weights of the triangle's corners 0,1,2 */
    uint8_t *back;    /* w*h: 1 where the nearest triangle is a back face (two-sided drawing) */
} fnrt_fg_raster;

fnrt_status fnrt_fg_raster_init(fnrt_fg_raster *r, int w, int h);
void fnrt_fg_raster_release(fnrt_fg_raster *r);
void fnrt_fg_raster_clear(fnrt_fg_raster *r);

/* screen: n_verts*3 floats (u, v, 1/depth) per vertex; tris: n_tris*3 indices (validated by
 * the caller).  Triangles whose corners run clockwise in (u,v) with v down -- that is,
 * counter-clockwise in a y-up view -- are front-facing; back faces are culled unless
 * two_sided is set (then they are drawn and flagged in r->back).  Triangles with a corner
 * behind the camera (1/depth <= 0) or absurdly far off-screen are skipped. */
void fnrt_fg_raster_draw(fnrt_fg_raster *r, const float *screen, const int32_t *tris, int n_tris,
                         int two_sided);

#endif
