/*
 * cl: OpenCL, loaded at run time with dlopen (the ICD loader,
 * libOpenCL.so.1), never linked, so that every program runs where there
 * is no OpenCL and only a study of backend "opencl" asks for it.  The
 * Khronos headers (CL/cl.h) give the types.
 *
 * Which device: a selector, from --device or the study's "device":
 * "P:D" (platform P's device D, both from 0, in the order the loader
 * lists them), or any other text, found case-insensitively in the
 * device's identity, "PLATFORM / DEVICE (VERSION; driver VERSION)"
 * ("pocl", "nvidia", "a100").  Without one, the
 * first GPU of any platform, else the first device of any kind (PoCL's
 * CPU device where nothing else is installed).
 *
 * A process that forks must not have started OpenCL (its drivers run
 * threads that a forked child does not get): ar-bench learns about the
 * device in a child (cl_probe) and measures every candidate in a child
 * of its own, which opens the device itself (cl_open); ar-compile too
 * probes the device in a child and builds every variant in another.
 *
 * Built without the headers (no CL/cl.h), cl_open and cl_probe fail with
 * a message that says so.
 *
 * Ownership: the library and a device opened with cl_open live until the
 * process ends; cl_probe returns static storage, filled once per process.
 */
#ifndef AR_CL_H
#define AR_CL_H

#include <stddef.h>
#include <stdint.h>

#include "launch.h"
#include "util.h"

#if defined(__has_include)
#if __has_include(<CL/cl.h>)
#define AR_OPENCL 1
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#endif
#endif

/* The device, as the parent of a measurement knows it. */
struct cl_dev {
	char name[256];			/* "pthread-skylake-avx512-..." */
	/* What a program is built for: platform, device, its OpenCL
	 * version and the driver's, one line.  It goes into the build key,
	 * and a record's compile.device must be it. */
	char ident[1024];
	int gpu;			/* of type GPU */
	uint64_t mem;			/* global memory, bytes */
	uint64_t max_alloc;		/* the largest buffer, bytes */
	struct launch_limits lim;	/* shared: __local bytes */
};

/*
 * The device sel chooses (NULL or "": the default), learnt in a child
 * process, once per process.  Returns it, or NULL with *why set to a
 * one-line reason ("no OpenCL platform", "no device matches 'x': ...").
 * It forks: call it before starting any thread.
 */
const struct cl_dev *cl_probe(const char *sel, const char **why);

#ifdef AR_OPENCL
/* The functions used, from the loader. */
struct cl_api {
	cl_int (*platform_ids)(cl_uint, cl_platform_id *, cl_uint *);
	cl_int (*platform_info)(cl_platform_id, cl_platform_info, size_t,
	    void *, size_t *);
	cl_int (*device_ids)(cl_platform_id, cl_device_type, cl_uint,
	    cl_device_id *, cl_uint *);
	cl_int (*device_info)(cl_device_id, cl_device_info, size_t, void *,
	    size_t *);
	cl_context (*create_context)(const cl_context_properties *, cl_uint,
	    const cl_device_id *, void (*)(const char *, const void *,
	    size_t, void *), void *, cl_int *);
	cl_command_queue (*create_queue)(cl_context, cl_device_id,
	    cl_command_queue_properties, cl_int *);
	cl_program (*program_source)(cl_context, cl_uint, const char **,
	    const size_t *, cl_int *);
	cl_program (*program_binary)(cl_context, cl_uint,
	    const cl_device_id *, const size_t *, const unsigned char **,
	    cl_int *, cl_int *);
	cl_int (*build)(cl_program, cl_uint, const cl_device_id *,
	    const char *, void (*)(cl_program, void *), void *);
	cl_int (*build_info)(cl_program, cl_device_id, cl_program_build_info,
	    size_t, void *, size_t *);
	cl_int (*program_info)(cl_program, cl_program_info, size_t, void *,
	    size_t *);
	cl_int (*release_program)(cl_program);
	cl_kernel (*create_kernel)(cl_program, const char *, cl_int *);
	cl_int (*kernel_info)(cl_kernel, cl_kernel_info, size_t, void *,
	    size_t *);
	cl_int (*kernel_wg_info)(cl_kernel, cl_device_id,
	    cl_kernel_work_group_info, size_t, void *, size_t *);
	cl_int (*set_arg)(cl_kernel, cl_uint, size_t, const void *);
	cl_mem (*create_buffer)(cl_context, cl_mem_flags, size_t, void *,
	    cl_int *);
	cl_mem (*sub_buffer)(cl_mem, cl_mem_flags, cl_buffer_create_type,
	    const void *, cl_int *);
	cl_int (*write)(cl_command_queue, cl_mem, cl_bool, size_t, size_t,
	    const void *, cl_uint, const cl_event *, cl_event *);
	cl_int (*read)(cl_command_queue, cl_mem, cl_bool, size_t, size_t,
	    void *, cl_uint, const cl_event *, cl_event *);
	cl_int (*ndrange)(cl_command_queue, cl_kernel, cl_uint,
	    const size_t *, const size_t *, const size_t *, cl_uint,
	    const cl_event *, cl_event *);
	cl_int (*flush)(cl_command_queue);
	cl_int (*finish)(cl_command_queue);
	cl_int (*event_info)(cl_event, cl_event_info, size_t, void *,
	    size_t *);
	cl_int (*event_profiling)(cl_event, cl_profiling_info, size_t,
	    void *, size_t *);
	cl_int (*release_event)(cl_event);
};

/* A device opened in this process: the API, the device and a context
 * on it (cl_open). */
struct cl_session {
	const struct cl_api *api;
	cl_platform_id platform;
	cl_device_id device;
	cl_context ctx;
	struct cl_dev dev;
};

/*
 * Opens the device sel chooses in this process, once: later calls give
 * the same session whatever they ask (one process, one device).  Thread
 * safe.  Returns it, or NULL with err set.
 */
const struct cl_session *cl_open(const char *sel, struct ar_err *err);

/* An OpenCL error code's name: "CL_OUT_OF_RESOURCES (-5)".  Static
 * storage for an unknown code, else a literal. */
const char *cl_errname(cl_int rc);
#endif

#endif
