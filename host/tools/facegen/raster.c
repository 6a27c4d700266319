/* Fixed-point edge-function rasteriser with a z-buffer. */
#include "raster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS 8
#define SUB_ONE (1 << SUB_BITS)
#define SUB_HALF (SUB_ONE / 2)
#define COORD_LIMIT 1.0e6f /* pixels; keeps fixed-point products well inside int64 */

fnrt_status fnrt_fg_raster_init(fnrt_fg_raster *r, int w, int h)
{
    if (!r || w <= 0 || h <= 0 || w > FNRT_FG_RASTER_MAX_SIZE || h > FNRT_FG_RASTER_MAX_SIZE)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_fg_raster_init: bad size %dx%d", w, h);
    memset(r, 0, sizeof *r);
    size_t n = (size_t)w * (size_t)h;
    r->tri = malloc(n * sizeof(int32_t));
    r->inv_depth = malloc(n * sizeof(float));
    r->bary = malloc(n * 3 * sizeof(float));
    r->back = malloc(n);
    if (!r->tri || !r->inv_depth || !r->bary || !r->back) {
        fnrt_fg_raster_release(r);
        return fnrt_error(FNRT_ERR_NOMEM, "raster %dx%d: out of memory", w, h);
    }
    r->w = w;
    r->h = h;
    fnrt_fg_raster_clear(r);
    return FNRT_OK;
}

void fnrt_fg_raster_release(fnrt_fg_raster *r)
{
    if (!r)
        return;
    free(r->tri);
    free(r->inv_depth);
    free(r->bary);
    free(r->back);
    memset(r, 0, sizeof *r);
}

void fnrt_fg_raster_clear(fnrt_fg_raster *r)
{
    size_t n = (size_t)r->w * (size_t)r->h;
    for (size_t i = 0; i < n; i++) {
        r->tri[i] = -1;
        r->inv_depth[i] = 0.0f;
        r->back[i] = 0;
    }
}

/* Whether an edge with direction (dx,dy) owns the pixels lying exactly on it.  Exactly one of
 * d and -d qualifies, so a shared edge (walked in opposite directions by the two triangles of
 * a consistently oriented mesh) hands each of its pixels to one triangle. */
static int owns_edge(int64_t dx, int64_t dy)
{
    return dy > 0 || (dy == 0 && dx > 0);
}

void fnrt_fg_raster_draw(fnrt_fg_raster *r, const float *screen, const int32_t *tris, int n_tris,
                         int two_sided)
{
    const int W = r->w, H = r->h;
    for (int t = 0; t < n_tris; t++) {
        int c[3] = {tris[3 * t], tris[3 * t + 1], tris[3 * t + 2]};
        int64_t X[3], Y[3];
        float iw[3];
        int skip = 0;
        for (int k = 0; k < 3; k++) {
            const float *s = screen + 3 * c[k];
            if (!(s[2] > 0.0f) || !(fabsf(s[0]) < COORD_LIMIT) || !(fabsf(s[1]) < COORD_LIMIT)) {
                skip = 1;
                break;
            }
            X[k] = (int64_t)lrintf(s[0] * SUB_ONE);
            Y[k] = (int64_t)lrintf(s[1] * SUB_ONE);
            iw[k] = s[2];
        }
        if (skip)
            continue;
        int64_t area = (X[1] - X[0]) * (Y[2] - Y[0]) - (X[2] - X[0]) * (Y[1] - Y[0]);
        /* v points down, so a counter-clockwise (front-facing) triangle has negative area
         * here.  Walk front faces as (0,2,1) to get a positive area; o[] maps back. */
        int o[3] = {0, 2, 1};
        uint8_t is_back = 0;
        if (area < 0) {
            area = -area;
        } else if (area > 0 && two_sided) {
            o[1] = 1;
            o[2] = 2;
            is_back = 1;
        } else {
            continue;
        }
        int64_t x0 = X[o[0]], y0 = Y[o[0]], x1 = X[o[1]], y1 = Y[o[1]], x2 = X[o[2]], y2 = Y[o[2]];

        int64_t minx = x0 < x1 ? (x0 < x2 ? x0 : x2) : (x1 < x2 ? x1 : x2);
        int64_t maxx = x0 > x1 ? (x0 > x2 ? x0 : x2) : (x1 > x2 ? x1 : x2);
        int64_t miny = y0 < y1 ? (y0 < y2 ? y0 : y2) : (y1 < y2 ? y1 : y2);
        int64_t maxy = y0 > y1 ? (y0 > y2 ? y0 : y2) : (y1 > y2 ? y1 : y2);
        /* pixels whose centre SUB_ONE*i + SUB_HALF lies in [min, max] */
        int64_t i0 = (minx - SUB_HALF + SUB_ONE - 1) >> SUB_BITS;
        int64_t i1 = (maxx - SUB_HALF) >> SUB_BITS;
        int64_t j0 = (miny - SUB_HALF + SUB_ONE - 1) >> SUB_BITS;
        int64_t j1 = (maxy - SUB_HALF) >> SUB_BITS;
        if (i0 < 0)
            i0 = 0;
        if (j0 < 0)
            j0 = 0;
        if (i1 > W - 1)
            i1 = W - 1;
        if (j1 > H - 1)
            j1 = H - 1;
        if (i0 > i1 || j0 > j1)
            continue;

        /* E_k: edge opposite walked corner k; E_k(corner k) = area > 0 inside. */
        int64_t ax[3] = {x1, x2, x0}, ay[3] = {y1, y2, y0};
        int64_t bx[3] = {x2, x0, x1}, by[3] = {y2, y0, y1};
        int64_t e_row[3], step_x[3], step_y[3];
        int64_t px = i0 * SUB_ONE + SUB_HALF, py = j0 * SUB_ONE + SUB_HALF;
        for (int k = 0; k < 3; k++) {
            int64_t dx = bx[k] - ax[k], dy = by[k] - ay[k];
            e_row[k] = dx * (py - ay[k]) - dy * (px - ax[k]) - (owns_edge(dx, dy) ? 0 : 1);
            step_x[k] = -dy * SUB_ONE;
            step_y[k] = dx * SUB_ONE;
        }
        /* the -1 bias above is undone when computing weights (it is below 1/area) */
        const float inv_area = 1.0f / (float)area;
        const float w0 = iw[o[0]], w1 = iw[o[1]], w2 = iw[o[2]];
        for (int64_t j = j0; j <= j1; j++) {
            int64_t e0 = e_row[0], e1 = e_row[1], e2 = e_row[2];
            size_t p = (size_t)j * (size_t)W + (size_t)i0;
            for (int64_t i = i0; i <= i1;
                 i++, p++, e0 += step_x[0], e1 += step_x[1], e2 += step_x[2]) {
                if ((e0 | e1 | e2) < 0)
                    continue;
                float l0 = (float)e0 * inv_area, l1 = (float)e1 * inv_area,
                      l2 = (float)e2 * inv_area;
                float z = l0 * w0 + l1 * w1 + l2 * w2;
                if (!(z > r->inv_depth[p]))
                    continue;
                r->inv_depth[p] = z;
                r->tri[p] = t;
                r->back[p] = is_back;
                float iz = 1.0f / z;
                float *b = r->bary + 3 * p;
                /* walked corner k is the triangle's corner o[k] */
                b[o[0]] = l0 * w0 * iz;
                b[o[1]] = l1 * w1 * iz;
                b[o[2]] = l2 * w2 * iz;
            }
            for (int k = 0; k < 3; k++)
                e_row[k] += step_y[k];
        }
    }
}
