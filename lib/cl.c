/*
 * cl: the OpenCL loader, the choice of a device, and the probe of it
 * (cl.h).
 */
#include "cl.h"

#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/* How long the probe may take: a driver that loads a compiler. */
#define PROBE_TIMEOUT_S	60.0

#ifdef AR_OPENCL

/* cl_ext.h's: the ICD loader's answer when it finds no platform. */
#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR	-1001
#endif

/* The most platforms and devices of a platform looked at. */
#define MAX_PLATFORMS	16
#define MAX_DEVICES	64

const char *
cl_errname(cl_int rc)
{
	static char buf[64];

	switch (rc) {
#define E(x) case x: return #x
	E(CL_DEVICE_NOT_FOUND);
	E(CL_DEVICE_NOT_AVAILABLE);
	E(CL_COMPILER_NOT_AVAILABLE);
	E(CL_MEM_OBJECT_ALLOCATION_FAILURE);
	E(CL_OUT_OF_RESOURCES);
	E(CL_OUT_OF_HOST_MEMORY);
	E(CL_PROFILING_INFO_NOT_AVAILABLE);
	E(CL_BUILD_PROGRAM_FAILURE);
	E(CL_MISALIGNED_SUB_BUFFER_OFFSET);
	E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
	E(CL_INVALID_VALUE);
	E(CL_INVALID_DEVICE);
	E(CL_INVALID_BINARY);
	E(CL_INVALID_BUILD_OPTIONS);
	E(CL_INVALID_PROGRAM);
	E(CL_INVALID_PROGRAM_EXECUTABLE);
	E(CL_INVALID_KERNEL_NAME);
	E(CL_INVALID_KERNEL);
	E(CL_INVALID_ARG_INDEX);
	E(CL_INVALID_ARG_VALUE);
	E(CL_INVALID_ARG_SIZE);
	E(CL_INVALID_KERNEL_ARGS);
	E(CL_INVALID_WORK_DIMENSION);
	E(CL_INVALID_WORK_GROUP_SIZE);
	E(CL_INVALID_WORK_ITEM_SIZE);
	E(CL_INVALID_GLOBAL_OFFSET);
	E(CL_INVALID_EVENT);
	E(CL_INVALID_OPERATION);
	E(CL_INVALID_BUFFER_SIZE);
	E(CL_INVALID_GLOBAL_WORK_SIZE);
	E(CL_PLATFORM_NOT_FOUND_KHR);
#undef E
	}
	snprintf(buf, sizeof(buf), "OpenCL error %d", (int)rc);
	return buf;
}

static struct cl_api api;
static pthread_once_t api_once = PTHREAD_ONCE_INIT;
static char api_error[512];

static void
sym(void *h, const char *name, void *fp)
{
	void *p = dlsym(h, name);

	if (p == NULL && api_error[0] == '\0')
		snprintf(api_error, sizeof(api_error), "the OpenCL loader "
		    "lacks %s", name);
	memcpy(fp, &p, sizeof(p));
}

/* $AR_LIBOPENCL, else libOpenCL.so.1. */
static void
load_api(void)
{
	const char *path = getenv("AR_LIBOPENCL");
	void *h;

	if (path == NULL || *path == '\0')
		path = "libOpenCL.so.1";
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		snprintf(api_error, sizeof(api_error), "no OpenCL loader "
		    "(%s): %s", path, e != NULL ? e : "cannot load it");
		return;
	}
	sym(h, "clGetPlatformIDs", &api.platform_ids);
	sym(h, "clGetPlatformInfo", &api.platform_info);
	sym(h, "clGetDeviceIDs", &api.device_ids);
	sym(h, "clGetDeviceInfo", &api.device_info);
	sym(h, "clCreateContext", &api.create_context);
	sym(h, "clCreateCommandQueue", &api.create_queue);
	sym(h, "clCreateProgramWithSource", &api.program_source);
	sym(h, "clCreateProgramWithBinary", &api.program_binary);
	sym(h, "clBuildProgram", &api.build);
	sym(h, "clGetProgramBuildInfo", &api.build_info);
	sym(h, "clGetProgramInfo", &api.program_info);
	sym(h, "clReleaseProgram", &api.release_program);
	sym(h, "clCreateKernel", &api.create_kernel);
	sym(h, "clGetKernelInfo", &api.kernel_info);
	sym(h, "clGetKernelWorkGroupInfo", &api.kernel_wg_info);
	sym(h, "clSetKernelArg", &api.set_arg);
	sym(h, "clCreateBuffer", &api.create_buffer);
	sym(h, "clCreateSubBuffer", &api.sub_buffer);
	sym(h, "clEnqueueWriteBuffer", &api.write);
	sym(h, "clEnqueueReadBuffer", &api.read);
	sym(h, "clEnqueueNDRangeKernel", &api.ndrange);
	sym(h, "clFlush", &api.flush);
	sym(h, "clFinish", &api.finish);
	sym(h, "clGetEventInfo", &api.event_info);
	sym(h, "clGetEventProfilingInfo", &api.event_profiling);
	sym(h, "clReleaseEvent", &api.release_event);
}

/* A string of a platform or a device, one line, never empty. */
static void
pinfo(cl_platform_id p, cl_platform_info what, char *buf, size_t cap)
{
	size_t i;

	if (api.platform_info(p, what, cap - 1, buf, NULL) != CL_SUCCESS)
		snprintf(buf, cap, "?");
	buf[cap - 1] = '\0';
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	if (buf[0] == '\0')
		snprintf(buf, cap, "?");
}

static void
dinfo(cl_device_id d, cl_device_info what, char *buf, size_t cap)
{
	size_t i;

	if (api.device_info(d, what, cap - 1, buf, NULL) != CL_SUCCESS)
		snprintf(buf, cap, "?");
	buf[cap - 1] = '\0';
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	/* Some drivers pad their names. */
	while (i > 0 && buf[i - 1] == ' ')
		buf[--i] = '\0';
	if (buf[0] == '\0')
		snprintf(buf, cap, "?");
}

/* A device's identity: platform, device, their versions (cl.h). */
static void
ident(cl_platform_id p, cl_device_id d, char *buf, size_t cap)
{
	char pname[256], dname[256], dver[256], drv[256];

	pinfo(p, CL_PLATFORM_NAME, pname, sizeof(pname));
	dinfo(d, CL_DEVICE_NAME, dname, sizeof(dname));
	dinfo(d, CL_DEVICE_VERSION, dver, sizeof(dver));
	dinfo(d, CL_DRIVER_VERSION, drv, sizeof(drv));
	snprintf(buf, cap, "%.200s / %.255s (%.255s; driver %.200s)", pname,
	    dname, dver, drv);
}

static int
contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i, j;

	for (i = 0; hay[i] != '\0'; i++) {
		for (j = 0; j < n && hay[i + j] != '\0' &&
		    tolower((unsigned char)hay[i + j]) ==
		    tolower((unsigned char)needle[j]); j++)
			;
		if (j == n)
			return 1;
	}
	return n == 0;
}

/*
 * The device sel chooses, with its platform; 0, or -1 with err saying
 * why, naming the devices there are when none matched.
 */
static int
choose(const char *sel, cl_platform_id *pp, cl_device_id *dp,
    struct ar_err *err)
{
	cl_platform_id plat[MAX_PLATFORMS];
	cl_device_id dev[MAX_DEVICES];
	cl_uint np = 0, nd, i, j;
	cl_device_type type;
	struct ar_buf seen = { 0 };
	char pname[256], dname[256], both[1024];
	unsigned long wp, wd;
	int idx = 0, off, pass, found = 0;
	cl_int rc;

	pthread_once(&api_once, load_api);
	if (api_error[0] != '\0') {
		ar_errf(err, "%s", api_error);
		return -1;
	}
	rc = api.platform_ids(MAX_PLATFORMS, plat, &np);
	if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && np == 0)) {
		ar_errf(err, "no OpenCL platform (install one: PoCL, "
		    "Debian's pocl-opencl-icd, runs on any CPU)");
		return -1;
	}
	if (rc != CL_SUCCESS) {
		ar_errf(err, "clGetPlatformIDs: %s", cl_errname(rc));
		return -1;
	}
	if (np > MAX_PLATFORMS)
		np = MAX_PLATFORMS;
	if (sel != NULL && *sel == '\0')
		sel = NULL;
	if (sel != NULL && sscanf(sel, "%lu:%lu%n", &wp, &wd, &off) == 2 &&
	    sel[off] == '\0')
		idx = 1;
	/* Without a selector: a GPU on the first pass, anything on the
	 * second. */
	for (pass = 0; pass < (sel == NULL ? 2 : 1) && !found; pass++)
		for (i = 0; i < np && !found; i++) {
			nd = 0;
			if (api.device_ids(plat[i], CL_DEVICE_TYPE_ALL,
			    MAX_DEVICES, dev, &nd) != CL_SUCCESS)
				continue;
			if (nd > MAX_DEVICES)
				nd = MAX_DEVICES;
			pinfo(plat[i], CL_PLATFORM_NAME, pname, sizeof(pname));
			for (j = 0; j < nd && !found; j++) {
				dinfo(dev[j], CL_DEVICE_NAME, dname,
				    sizeof(dname));
				if (pass == 0)
					buf_printf(&seen, "%s%u:%u \"%s / %s\"",
					    seen.len ? ", " : "", i, j, pname,
					    dname);
				ident(plat[i], dev[j], both, sizeof(both));
				if (sel == NULL) {
					if (api.device_info(dev[j],
					    CL_DEVICE_TYPE, sizeof(type), &type,
					    NULL) != CL_SUCCESS)
						type = 0;
					found = pass == 1 ||
					    (type & CL_DEVICE_TYPE_GPU) != 0;
				} else if (idx)
					found = wp == i && wd == j;
				else
					found = contains_nocase(both, sel);
				if (found) {
					*pp = plat[i];
					*dp = dev[j];
				}
			}
		}
	if (!found) {
		if (seen.len == 0)
			ar_errf(err, "no OpenCL device on any of the %u "
			    "platforms", np);
		else
			ar_errf(err, "no OpenCL device matches '%s' (there "
			    "are %.800s)", sel != NULL ? sel : "", seen.buf);
	}
	free(seen.buf);
	return found ? 0 : -1;
}

static uint64_t
dev_u64(cl_device_id d, cl_device_info what)
{
	cl_ulong v = 0;

	if (api.device_info(d, what, sizeof(v), &v, NULL) != CL_SUCCESS)
		return 0;
	return v;
}

static int64_t
dev_size(cl_device_id d, cl_device_info what)
{
	size_t v = 0;

	if (api.device_info(d, what, sizeof(v), &v, NULL) != CL_SUCCESS)
		return 0;
	return (int64_t)v;
}

/* What the parent knows of the device, learnt from it. */
static void
describe(cl_platform_id p, cl_device_id d, struct cl_dev *g)
{
	size_t sizes[3] = { 0, 0, 0 };
	cl_device_type type = 0;
	int i;

	memset(g, 0, sizeof(*g));
	dinfo(d, CL_DEVICE_NAME, g->name, sizeof(g->name));
	ident(p, d, g->ident, sizeof(g->ident));
	if (api.device_info(d, CL_DEVICE_TYPE, sizeof(type), &type, NULL) ==
	    CL_SUCCESS)
		g->gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
	g->mem = dev_u64(d, CL_DEVICE_GLOBAL_MEM_SIZE);
	g->max_alloc = dev_u64(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
	g->lim.opencl = 1;
	g->lim.threads = dev_size(d, CL_DEVICE_MAX_WORK_GROUP_SIZE);
	g->lim.shared = (int64_t)dev_u64(d, CL_DEVICE_LOCAL_MEM_SIZE);
	if (api.device_info(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof(sizes),
	    sizes, NULL) == CL_SUCCESS)
		for (i = 0; i < 3; i++)
			g->lim.block[i] = (int64_t)sizes[i];
}

const struct cl_session *
cl_open(const char *sel, struct ar_err *err)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct cl_session s;
	static int done;
	static struct ar_err why;
	const struct cl_session *r = NULL;
	cl_int rc;

	pthread_mutex_lock(&lock);
	if (!done) {
		done = 1;
		memset(&why, 0, sizeof(why));
		if (choose(sel, &s.platform, &s.device, &why) == 0) {
			describe(s.platform, s.device, &s.dev);
			s.ctx = api.create_context(NULL, 1, &s.device, NULL,
			    NULL, &rc);
			if (s.ctx == NULL)
				ar_errf(&why, "cannot create a context on "
				    "%s: %s", s.dev.name, cl_errname(rc));
			else
				s.api = &api;
		}
	}
	if (s.api != NULL)
		r = &s;
	else
		*err = why;
	pthread_mutex_unlock(&lock);
	return r;
}

/* The probe, in a child: the device's description, one line a field. */
static int
probe_child(void *ctx, int fd)
{
	const struct cl_session *s;
	const struct cl_dev *g;
	struct ar_err err;

	if ((s = cl_open(ctx, &err)) == NULL) {
		dprintf(fd, "error %s\n", err.msg);
		return 1;
	}
	g = &s->dev;
	dprintf(fd, "name %s\nident %s\n", g->name, g->ident);
	dprintf(fd, "gpu %d\nmem %llu\nmax_alloc %llu\nthreads %lld\n"
	    "shared %lld\nblock_x %lld\nblock_y %lld\nblock_z %lld\nok\n",
	    g->gpu, (unsigned long long)g->mem,
	    (unsigned long long)g->max_alloc, (long long)g->lim.threads,
	    (long long)g->lim.shared, (long long)g->lim.block[0],
	    (long long)g->lim.block[1], (long long)g->lim.block[2]);
	return 0;
}

/* The probe's answer, read from its report. */
static int
parse_probe(const char *text, void *out, char *why, size_t cap)
{
	struct cl_dev *g = out;
	const char *p = text, *e;
	int ok = 0;

	memset(g, 0, sizeof(*g));
	g->lim.opencl = 1;
	while (*p != '\0') {
		char line[1100], key[32];
		long long v;
		size_t len;
		int off;

		e = strchr(p, '\n');
		len = e ? (size_t)(e - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(len < 1099 ? len :
		    1099), p);
		p += len + (e != NULL);
		if (strncmp(line, "error ", 6) == 0) {
			snprintf(why, cap, "%s", line + 6);
			return -1;
		}
		if (strcmp(line, "ok") == 0)
			ok = 1;
		else if (strncmp(line, "name ", 5) == 0)
			snprintf(g->name, sizeof(g->name), "%.255s", line + 5);
		else if (strncmp(line, "ident ", 6) == 0)
			snprintf(g->ident, sizeof(g->ident), "%.1023s", line + 6);
		else if (sscanf(line, "%31s %lld%n", key, &v, &off) == 2 &&
		    line[off] == '\0' && v >= 0) {
			if (strcmp(key, "gpu") == 0)
				g->gpu = v != 0;
			else if (strcmp(key, "mem") == 0)
				g->mem = (uint64_t)v;
			else if (strcmp(key, "max_alloc") == 0)
				g->max_alloc = (uint64_t)v;
			else if (strcmp(key, "threads") == 0)
				g->lim.threads = v;
			else if (strcmp(key, "shared") == 0)
				g->lim.shared = v;
			else if (strcmp(key, "block_x") == 0)
				g->lim.block[0] = v;
			else if (strcmp(key, "block_y") == 0)
				g->lim.block[1] = v;
			else if (strcmp(key, "block_z") == 0)
				g->lim.block[2] = v;
		}
	}
	if (!ok || g->name[0] == '\0' || g->ident[0] == '\0') {
		snprintf(why, cap, "the probe of the OpenCL device ended "
		    "without an answer");
		return -1;
	}
	return 0;
}
#endif /* AR_OPENCL */

const struct cl_dev *
cl_probe(const char *sel, const char **why)
{
	static struct cl_dev dev;
	static char reason[1200];
	static int done, ok;

	if (!done) {
		done = 1;
#ifdef AR_OPENCL
		ok = proc_probe(probe_child, (void *)sel, PROBE_TIMEOUT_S,
		    "OpenCL device", parse_probe, &dev, reason,
		    sizeof(reason)) == 0;
#else
		(void)sel;
		snprintf(reason, sizeof(reason), "built without the OpenCL "
		    "headers (CL/cl.h), so without the opencl backend");
#endif
	}
	if (why != NULL)
		*why = ok ? NULL : reason;
	return ok ? &dev : NULL;
}
