/*
 * Unit tests of a command study's command (spec.h): the expansion of
 * "{NAME}", "{{" and "}}" that ar-bench runs, and spec_check_program's
 * search for the program, which must find what execvp in the study's
 * folder will find and refuse what it will not.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "spec.h"

static char dir[] = "/tmp/test_command.XXXXXX";

/* Writes dir/name with mode. */
static void
put(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0 || chmod(path, mode) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

/* The problem and params of most studies here: params X (1, 8) and Y
 * ("a"), constant N = 3. */
#define XYN "\"problem\": {\"N\": 3}, \"params\": {\"X\": [1, 8], " \
	"\"Y\": [\"a\"]}"

/* Loads a command study of the command given as a JSON array, and the
 * rest of its keys. */
static int
load(struct spec *s, const char *command, const char *rest,
    struct ar_err *err)
{
	char path[512], json[1024];

	snprintf(json, sizeof(json), "{\"name\": \"t\", \"backend\": "
	    "\"command\", \"command\": %s, %s}\n", command, rest);
	put("s.json", json, 0644);
	snprintf(path, sizeof(path), "%s/s.json", dir);
	return spec_load(s, path, NULL, 0, err);
}

static void
test_expand(void)
{
	/* Slots: X, Y, then N; X is 8 here. */
	const char *text[] = { "8", "a", "3" };
	struct spec s;
	struct ar_err err;
	char *a;

	CHECK_INT(load(&s, "[\"p\", \"{{{X}}}\", \"}}{{\", \"{X}{Y}-{N}\", "
	    "\"{{X}}\", \"plain\", \"\"]", XYN, &err), 0);
	CHECK_STR(a = spec_argv_arg(&s, "command", 1, text, &err), "{8}");
	free(a);
	CHECK_STR(a = spec_argv_arg(&s, "command", 2, text, &err), "}{");
	free(a);
	CHECK_STR(a = spec_argv_arg(&s, "command", 3, text, &err), "8a-3");
	free(a);
	CHECK_STR(a = spec_argv_arg(&s, "command", 4, text, &err), "{X}");
	free(a);
	CHECK_STR(a = spec_argv_arg(&s, "command", 5, text, &err), "plain");
	free(a);
	CHECK_STR(a = spec_argv_arg(&s, "command", 6, text, &err), "");
	free(a);
	spec_release(&s);

	/* Every other brace is refused, naming the escape. */
	CHECK_INT(load(&s, "[\"p\", \"{x: 1}\"]", XYN, &err), -1);
	CHECK(strstr(err.msg, "key \"command[1]\": unknown name 'x: 1' "
	    "(write {{ for a literal {)") != NULL);
	CHECK_INT(load(&s, "[\"p\", \"a}b\"]", XYN, &err), -1);
	CHECK(strstr(err.msg, "key \"command[1]\": '}' without '{' "
	    "(write }} for a literal })") != NULL);
	CHECK_INT(load(&s, "[\"{X}}\"]", XYN, &err), -1);
	CHECK(strstr(err.msg, "key \"command[0]\": '}' without '{'") !=
	    NULL);
	CHECK_INT(load(&s, "[\"p\", \"{{{X\"]", XYN, &err), -1);
	CHECK(strstr(err.msg, "key \"command[1]\": '{' without '}' "
	    "(write {{ for a literal {)") != NULL);
}

/* Sets PATH for a check, and checks. */
static int
check_with(struct spec *s, const char *path, struct ar_err *err)
{
	setenv("PATH", path, 1);
	return spec_check_program(s, "command", err);
}

static void
test_program(void)
{
	struct spec s;
	struct ar_err err;
	char path[512], msg[512];
	const char *old = getenv("PATH");
	char *keep = strdup(old != NULL ? old : "/bin:/usr/bin");

	if (mkdir(strcat(strcpy(path, dir), "/bin"), 0755) != 0 ||
	    mkdir(strcat(strcpy(path, dir), "/off"), 0755) != 0 ||
	    mkdir(strcat(strcpy(path, dir), "/dir"), 0755) != 0) {
		perror("mkdir");
		exit(1);
	}
	put("run.sh", "#!/bin/sh\n", 0755);
	put("bin/tool", "#!/bin/sh\n", 0755);
	put("off/tool", "#!/bin/sh\n", 0644);
	put("plain", "#!/bin/sh\n", 0644);

	/* A name with a slash is found from the study's folder. */
	CHECK_INT(load(&s, "[\"./run.sh\"]", XYN, &err), 0);
	CHECK_INT(spec_check_program(&s, "command", &err), 0);
	spec_release(&s);
	CHECK_INT(load(&s, "[\"bin/tool\"]", XYN, &err), 0);
	CHECK_INT(spec_check_program(&s, "command", &err), 0);
	spec_release(&s);
	CHECK_INT(load(&s, "[\"./zrn.sh\"]", XYN, &err), 0);
	CHECK_INT(spec_check_program(&s, "command", &err), -1);
	snprintf(msg, sizeof(msg), "%s/s.json: key \"command[0]\": cannot "
	    "run '%s/zrn.sh': No such file or directory", dir, dir);
	CHECK_STR(err.msg, msg);
	spec_release(&s);
	CHECK_INT(load(&s, "[\"./plain\"]", XYN, &err), 0);
	CHECK_INT(spec_check_program(&s, "command", &err), -1);
	CHECK(strstr(err.msg, "/plain': Permission denied") != NULL);
	spec_release(&s);
	CHECK_INT(load(&s, "[\"./dir\"]", XYN, &err), 0);
	CHECK_INT(spec_check_program(&s, "command", &err), -1);
	CHECK(strstr(err.msg, "/dir': Is a directory") != NULL);
	spec_release(&s);
	/* Braces are undone first. */
	put("{b}", "#!/bin/sh\n", 0755);
	CHECK_INT(load(&s, "[\"./{{b}}\"]", XYN, &err), 0);
	CHECK_INT(spec_check_program(&s, "command", &err), 0);
	spec_release(&s);

	/*
	 * A bare name in PATH, whose relative folders are the study's:
	 * past a folder where it cannot run to one where it can, and
	 * refused only when no folder has one that runs.
	 */
	CHECK_INT(load(&s, "[\"tool\", \"{X}\"]", XYN, &err), 0);
	CHECK_INT(check_with(&s, "/nonexistent:bin", &err), 0);
	CHECK_INT(check_with(&s, "off:bin", &err), 0);
	CHECK_INT(check_with(&s, "off:/nonexistent", &err), -1);
	snprintf(msg, sizeof(msg), "%s/s.json: key \"command[0]\": cannot "
	    "run 'tool': Permission denied", dir);
	CHECK_STR(err.msg, msg);
	CHECK_INT(check_with(&s, "/nonexistent", &err), -1);
	snprintf(msg, sizeof(msg), "%s/s.json: key \"command[0]\": cannot "
	    "run 'tool': not found in PATH", dir);
	CHECK_STR(err.msg, msg);
	spec_release(&s);
	/* An empty folder of PATH is the current one: the study's. */
	CHECK_INT(load(&s, "[\"run.sh\"]", XYN, &err), 0);
	CHECK_INT(check_with(&s, "/nonexistent:", &err), 0);
	CHECK_INT(check_with(&s, ":/nonexistent", &err), 0);
	CHECK_INT(check_with(&s, "/nonexistent", &err), -1);
	spec_release(&s);

	/* A program named by a parameter, or looked up in a PATH that a
	 * parameter sets, is left to its runs. */
	CHECK_INT(load(&s, "[\"./prog-{X}\"]", XYN, &err), 0);
	CHECK_INT(spec_check_program(&s, "command", &err), 0);
	spec_release(&s);
	CHECK_INT(load(&s, "[\"tool\"]", "\"env\": true, \"params\": "
	    "{\"PATH\": [\"bin\"]}", &err), 0);
	CHECK_INT(check_with(&s, "/nonexistent", &err), 0);
	spec_release(&s);
	/* Without env, PATH is ar-bench's own. */
	CHECK_INT(load(&s, "[\"tool\"]", "\"params\": {\"PATH\": "
	    "[\"bin\"]}", &err), 0);
	CHECK_INT(check_with(&s, "/nonexistent", &err), -1);
	spec_release(&s);

	setenv("PATH", keep, 1);
	free(keep);
}

int
main(void)
{
	char rm[64];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_expand);
	RUN(test_program);
	rc = check_done("test_command");
	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
	if (system(rm) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return rc;
}
