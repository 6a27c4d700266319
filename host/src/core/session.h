/* Session internals for the fnrt tools (bench, plan): the backend a session runs on and
 * the plan it follows.  Not part of the public API. */
#ifndef FNRT_CORE_SESSION_H
#define FNRT_CORE_SESSION_H

#include "fnrt/fnrt-backend.h"
#include "fnrt/fnrt.h"
#include "core/plan.h"

/* The backend table and context of a session (for backend-specific statistics such as
 * fnrt_opencl_cache_stats). */
void fnrt_session_backend(const fnrt_session *s, const fnrt_backend_ops **be, void **ctx);
const fnrt_plan *fnrt_session_plan(const fnrt_session *s);
/* GFLOP of fnrt_session_infer_highres on an h x w image (overlap 0 = default); *n_tiles
 * receives the number of refiner tiles.  0 if the model has no high-resolution path. */
double fnrt_session_highres_gflop(const fnrt_session *s, int h, int w, int overlap,
                                  int *n_tiles);

#endif
