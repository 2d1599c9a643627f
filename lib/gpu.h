/*
 * gpu: the CUDA driver API, NVRTC and NVML, loaded at run time with
 * dlopen, so that every program runs on a machine without CUDA and only
 * a study that needs the GPU asks for it.  The CUDA headers give the
 * types and prototypes; nothing links against libcuda, libnvrtc or
 * libnvidia-ml.
 *
 * Ownership: the loaded libraries live until the process ends; gpu_probe
 * returns static storage, filled once per process; strings returned are
 * the caller's unless said otherwise.
 */
#ifndef AR_GPU_H
#define AR_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "launch.h"
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

#if defined(AR_HAVE_CUDA) && defined(__has_include)
#if __has_include(<cuda.h>)
#define AR_CUDA_DRIVER 1
#include <cuda.h>
#endif
#endif

/* Device 0, as the driver describes it. */
struct gpu_dev {
	char name[256];			/* "NVIDIA H100 80GB HBM3" */
	int cc_major, cc_minor;		/* compute capability */
	char arch[16];			/* "sm_90" */
	int driver;			/* the driver's CUDA version: 12040 */
	int sms;			/* multiprocessors */
	uint64_t mem;			/* bytes of device memory */
	struct launch_limits lim;	/* shared: with opt-in */
	int64_t shared_default;		/* shared bytes without opt-in */
};

/*
 * Device 0, learnt in a child process (so that this one never
 * initialises CUDA), once per process.  Returns it, or NULL with *why set
 * to a one-line reason ("no CUDA driver (libcuda.so.1): ...", "cuInit:
 * CUDA_ERROR_NO_DEVICE (...)").  It forks: call it before starting any
 * thread.
 */
const struct gpu_dev *gpu_probe(const char **why);

/*
 * NVML, for the energy of runs: the device with the given PCI bus id
 * (or, failing that, the given UUID "GPU-..."), opened in the calling
 * process.  Returns NULL with err set when NVML or the device cannot be
 * had.
 */
struct gpu_nvml;
struct gpu_nvml *gpu_nvml_open(const char *busid, const char *uuid,
    struct ar_err *err);
/* The device's energy counter, in millijoules since the driver loaded;
 * -1 with err set when the device has none. */
int gpu_nvml_energy_mj(struct gpu_nvml *n, unsigned long long *mj,
    struct ar_err *err);
/* The device's power draw now, in watts (averaged by the device). */
int gpu_nvml_power_w(struct gpu_nvml *n, double *w, struct ar_err *err);

#ifdef AR_CUDA_DRIVER
/*
 * The driver's functions ar-bench uses, looked up by the names of the ABI
 * they are declared with here (cuMemAlloc_v2, ...), which every driver
 * since CUDA 4 exports, whatever the headers map the plain names to.
 * param_info is NULL where the driver lacks it (before CUDA 12.4).
 */
struct gpu_driver {
	CUresult (*init)(unsigned int);
	CUresult (*driver_version)(int *);
	CUresult (*device_count)(int *);
	CUresult (*device_get)(CUdevice *, int);
	CUresult (*device_name)(char *, int, CUdevice);
	CUresult (*device_attr)(int *, CUdevice_attribute, CUdevice);
	CUresult (*device_mem)(size_t *, CUdevice);
	CUresult (*device_busid)(char *, int, CUdevice);
	CUresult (*device_uuid)(CUuuid *, CUdevice);
	CUresult (*primary_retain)(CUcontext *, CUdevice);
	CUresult (*ctx_set)(CUcontext);
	CUresult (*ctx_sync)(void);
	CUresult (*module_load)(CUmodule *, const void *);
	CUresult (*module_function)(CUfunction *, CUmodule, const char *);
	CUresult (*func_attr)(int *, CUfunction_attribute, CUfunction);
	CUresult (*func_set_attr)(CUfunction, CUfunction_attribute, int);
	CUresult (*param_info)(CUfunction, size_t, size_t *, size_t *);
	CUresult (*mem_info)(size_t *, size_t *);
	CUresult (*mem_alloc)(CUdeviceptr *, size_t);
	CUresult (*mem_free)(CUdeviceptr);
	CUresult (*htod)(CUdeviceptr, const void *, size_t);
	CUresult (*dtoh)(void *, CUdeviceptr, size_t);
	CUresult (*dtod)(CUdeviceptr, CUdeviceptr, size_t);
	CUresult (*memset32)(CUdeviceptr, unsigned int, size_t);
	CUresult (*event_create)(CUevent *, unsigned int);
	CUresult (*event_record)(CUevent, CUstream);
	CUresult (*event_query)(CUevent);
	CUresult (*event_elapsed)(float *, CUevent, CUevent);
	CUresult (*launch)(CUfunction, unsigned int, unsigned int,
	    unsigned int, unsigned int, unsigned int, unsigned int,
	    unsigned int, CUstream, void **, void **);
	CUresult (*error_name)(CUresult, const char **);
	CUresult (*error_string)(CUresult, const char **);
};

/*
 * Loads the driver: $AR_LIBCUDA when set, else libcuda.so.1 on the
 * loader's path.  Does not initialise it.  Returns the table, or NULL with
 * err set.
 */
const struct gpu_driver *gpu_driver(struct ar_err *err);

/* "CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was
 * encountered)", in buf. */
const char *gpu_cu_error(const struct gpu_driver *d, CUresult rc, char *buf,
    size_t cap);
#endif

#endif
