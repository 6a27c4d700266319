/* Safetensors reader: 8-byte little-endian header length, JSON header, raw data.
 * Everything read from the file is validated before use (header size, JSON, dtype,
 * shape x dtype = byte span, offsets inside the data area, no overlap). */
#ifndef FNRT_IO_SAFETENSORS_H
#define FNRT_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "fnrt/fnrt-status.h"

typedef enum fnrt_dtype {
    FNRT_DT_F32 = 0,
    FNRT_DT_F16,
    FNRT_DT_BF16,
    FNRT_DT_I32,
    FNRT_DT_U8,
    FNRT_DT_OTHER /* present in the file but not convertible to float by fnrt */
} fnrt_dtype;

#define FNRT_ST_MAX_DIMS 8

typedef struct fnrt_st_tensor {
    char *name;
    fnrt_dtype dtype;
    int ndim;
    int64_t shape[FNRT_ST_MAX_DIMS];
    uint64_t n_elems;
    uint64_t begin, end; /* byte offsets inside the data area */
} fnrt_st_tensor;

typedef struct fnrt_st_limits {
    uint64_t max_header_bytes; /* default 100 MiB */
    uint64_t max_file_bytes;   /* default 8 GiB */
    uint64_t max_tensors;      /* default 100000 */
} fnrt_st_limits;

typedef struct fnrt_safetensors fnrt_safetensors;

/* Opens and validates a file (the data is mapped or read, not copied per tensor).
 * lim may be NULL for defaults. */
fnrt_status fnrt_safetensors_open(const char *path, const fnrt_st_limits *lim,
                                  fnrt_safetensors **out);
/* Same, over a caller-owned memory image (not copied; must outlive the handle). */
fnrt_status fnrt_safetensors_open_mem(const void *data, size_t n_bytes,
                                      const fnrt_st_limits *lim, fnrt_safetensors **out);
void fnrt_safetensors_close(fnrt_safetensors *st);
/* Gives the resident pages of a mapped file back to the system (after the tensors were
 * copied out): the handle stays valid and pages are read from the file again if used.
 * No effect on files that were read rather than mapped, or on memory images. */
void fnrt_safetensors_drop_pages(fnrt_safetensors *st);

size_t fnrt_safetensors_count(const fnrt_safetensors *st);
const fnrt_st_tensor *fnrt_safetensors_at(const fnrt_safetensors *st, size_t i);
/* NULL if absent. */
const fnrt_st_tensor *fnrt_safetensors_find(const fnrt_safetensors *st, const char *name);
/* Raw bytes of a tensor (inside the file image). */
const void *fnrt_safetensors_data(const fnrt_safetensors *st, const fnrt_st_tensor *t);
/* Converts a F32/F16/BF16 tensor to float32; n_elems must equal t->n_elems. */
fnrt_status fnrt_safetensors_read_f32(const fnrt_safetensors *st, const fnrt_st_tensor *t,
                                      float *dst, size_t n_elems);
/* "__metadata__" string value for key, NULL if absent. */
const char *fnrt_safetensors_meta(const fnrt_safetensors *st, const char *key);
const char *fnrt_dtype_str(fnrt_dtype dt);

#endif
