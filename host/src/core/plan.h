/* The execution plan of a graph: its stage partition, the dependencies between stages, where
 * every tensor lives (memory plan) and the row tiling of full-resolution layer chains.
 * Built from the graph alone (no backend), so `fnrt plan` can print it and the session
 * executor (session.c) can follow it.
 *
 * Stages: the graph's stages (graph.h), in execution order; ops outside any stage form
 * stages of their own.  Stage B depends on stage A when an op of B reads a tensor an op of
 * A produced.  Independent stages may run concurrently (the FNR2R refiner encoder needs
 * only the RGB image, so it overlaps the coarse net).
 *
 * Memory: parameters are constant.  A tensor read by a stage other than its producer, the
 * graph input and the outputs are hand-off tensors: one buffer per image in flight
 * ("slot").  Every other activation lives in its stage's pool, where tensors whose
 * lifetimes (first write .. last read, in op order) do not overlap share a block: stages
 * run on in-order queues, so a pool is reused image after image without races.
 *
 * Tiles: a chain of consecutive ops of one stage that keep the spatial size (3x3/1x1 stride-1
 * convolutions, element-wise ops) at a given resolution can run in horizontal bands of
 * tile_rows output rows; each op of the chain then reads `halo` more rows above and below
 * its band (the sum of the (k-1)/2 of the later layers). */
#ifndef FNRT_CORE_PLAN_H
#define FNRT_CORE_PLAN_H

#include "core/graph.h"

enum {
    FNRT_PLACE_NONE = 0, /* not used by any op */
    FNRT_PLACE_PARAM,    /* constant weights */
    FNRT_PLACE_SLOT,     /* hand-off tensor: one buffer per image in flight */
    FNRT_PLACE_POOL,     /* stage-local activation in a pool block */
    FNRT_PLACE_RING      /* inside a tiled chain: a ring of ring_rows rows (own buffer) */
};

#define FNRT_PLAN_MAX_STAGES 16
#define FNRT_PLAN_MAX_CHAINS 16
#define FNRT_PLAN_MAX_CHAIN_OPS 16

typedef struct fnrt_plan_stage {
    char name[32];
    int first_op, n_ops;
    unsigned deps;         /* bit d set: reads tensors produced by stage d */
    int reads_input;       /* reads the graph input */
    double gflop;          /* 2 x multiply-adds */
    uint64_t in_bytes;     /* float32 bytes of hand-off tensors it reads (input included) */
    uint64_t out_bytes;    /* float32 bytes of its tensors read elsewhere (outputs included) */
    uint64_t pool_bytes;   /* its pool: sum of its blocks */
    uint64_t naive_bytes;  /* its stage-local activations if each had its own buffer */
    uint64_t weight_bytes; /* parameters its ops read */
} fnrt_plan_stage;

typedef struct fnrt_plan_tensor {
    int place;          /* FNRT_PLACE_* */
    int stage;          /* producing stage, -1 for the input and parameters */
    int first, last;    /* op producing it (-1: input/param) and last op reading it */
    int block;          /* FNRT_PLACE_POOL: pool block */
    int ring_rows;      /* FNRT_PLACE_RING: rows of its ring buffer */
    uint64_t n_bytes;   /* float32 bytes */
} fnrt_plan_tensor;

typedef struct fnrt_plan_block {
    int stage;
    uint64_t n_bytes;
} fnrt_plan_block;

/* A tiled chain: ops [first_op, first_op + n_ops) of one stage, all at out_h x out_w;
 * halo[k]: extra input rows op k reads above and below its band.  The tensors between the
 * ops are rings (FNRT_PLACE_RING): band b computes, op after op, the rows up to
 * (b+1)*tile_rows + the halo the later ops still need, so no row is computed twice. */
typedef struct fnrt_plan_chain {
    int stage;
    int first_op, n_ops;
    int out_h, out_w;
    int tile_rows;
    int halo[FNRT_PLAN_MAX_CHAIN_OPS];
    uint64_t ring_bytes; /* the chain-internal tensors as rings of tile buffers */
    uint64_t full_bytes; /* the same tensors untiled */
} fnrt_plan_chain;

typedef struct fnrt_plan {
    int n_stages;
    fnrt_plan_stage stages[FNRT_PLAN_MAX_STAGES];
    int *op_stage;              /* stage of each op */
    int n_tensors;
    fnrt_plan_tensor *tensors;  /* per graph tensor */
    int n_blocks;
    fnrt_plan_block *blocks;
    int n_chains;
    fnrt_plan_chain chains[FNRT_PLAN_MAX_CHAINS];
    uint64_t param_bytes;       /* constant weights */
    uint64_t slot_bytes;        /* hand-off tensors of one image in flight */
    uint64_t pool_bytes;        /* all pools */
    uint64_t ring_bytes;        /* all rings of tiled chains */
    uint64_t naive_bytes;       /* every activation its own buffer (the plan without sharing) */
} fnrt_plan;

/* Builds the plan.  share: 0 gives every stage-local activation its own block (the
 * unshared baseline); tile_rows: band height of tiled chains (0 = no chains). */
fnrt_status fnrt_plan_build(const fnrt_graph *g, int share, int tile_rows, fnrt_plan *p);
void fnrt_plan_free(fnrt_plan *p);

/* The chain op i belongs to (-1 if none). */
int fnrt_plan_chain_of(const fnrt_plan *p, int op);

#endif
