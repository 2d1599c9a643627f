/*
 * gpu: the CUDA driver API, NVRTC and NVML, loaded at run time with
 * dlopen, so that every program runs on a machine without CUDA and only
 * a study that needs the GPU asks for it.  The CUDA headers give the
 * types and prototypes; nothing links against libcuda, libnvrtc or
 * libnvidia-ml.
 *
 * Ownership: the loaded libraries live until the process ends; strings
 * returned are the caller's unless said otherwise.
 */
#ifndef AR_GPU_H
#define AR_GPU_H

#include <stddef.h>

#include "util.h"

/*
 * The architecture to compile for when none is given: that of device 0
 * ("sm_90" for compute capability 9.0) when a GPU and its driver are
 * there, else "sm_90".  Writes it into buf (cap >= 16) and returns buf.
 */
const char *gpu_default_arch(char *buf, size_t cap);

/*
 * A one-line description of why no GPU can be used here ("no CUDA
 * driver (libcuda.so.1): ...", "no CUDA device"), or NULL when device 0
 * can be used.  Static storage.
 */
const char *gpu_unavailable(void);

#endif
