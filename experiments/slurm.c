/*
 * slurm.c - submit an experiment to Slurm as a job array of shards and a
 * merge job (see slurm.h).
 */
#include "slurm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

/* 'text' for sh, with every ' written as '\''. */
static void sh_quote(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	if (len < 3)
		return;
	buf[n++] = '\'';
	for (; *s && n + 6 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + n, "'\\''", 4);
			n += 4;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n++] = '\'';
	buf[n] = '\0';
}

/* An absolute path for a file that may not exist yet (its folder does). */
static int absolute(const char *path, char *buf, size_t len)
{
	if (path[0] == '/') {
		snprintf(buf, len, "%s", path);
		return 0;
	}
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(buf, len, "%s/%s", cwd, path);
	return 0;
}

struct job {
	char dir[4200];           /* OUT/NAME/slurm */
	char exe[4200], exp[4200], db[4200], out[4200];   /* quoted */
	const char *name;
	const struct slurm_opts *o;
};

static void sbatch_header(FILE *f, const struct job *j, const char *what)
{
	fprintf(f, "#!/bin/sh\n# mplm-exp slurm: %s of experiment %s.\n"
		"#SBATCH --job-name=mplm-%s%s\n", what, j->name, j->name,
		strcmp(what, "merge") ? "" : "-merge");
	if (j->o->partition)
		fprintf(f, "#SBATCH --partition=%s\n", j->o->partition);
}

static void write_array(FILE *f, const struct job *j)
{
	char reps[48] = "", shard[4400];
	sbatch_header(f, j, "the shards");
	fprintf(f, "#SBATCH --array=1-%u\n#SBATCH --cpus-per-task=%u\n"
		"#SBATCH --output=%s/task-%%a.out\n", j->o->tasks, j->o->cpus,
		j->dir);
	if (j->o->repetitions)
		snprintf(reps, sizeof(reps), " --repetitions %u",
			 j->o->repetitions);
	char prefix[4300];
	snprintf(prefix, sizeof(prefix), "%s/shard-", j->dir);
	sh_quote(prefix, shard, sizeof(shard));
	fprintf(f, "# Task K runs share K of the %u shares into its own "
		"database (run again, it resumes).\n"
		"exec %s run --shard \"$SLURM_ARRAY_TASK_ID/%u\" -j %u "
		"--no-progress%s \\\n    --db %s\"$SLURM_ARRAY_TASK_ID\".db %s\n",
		j->o->tasks, j->exe, j->o->tasks, j->o->cpus, reps, shard,
		j->exp);
}

static void write_merge(FILE *f, const struct job *j)
{
	char shards[4400], name[300];
	sbatch_header(f, j, "merge");
	fprintf(f, "#SBATCH --output=%s/merge.out\n", j->dir);
	sh_quote(j->dir, shards, sizeof(shards));
	sh_quote(j->name, name, sizeof(name));
	fprintf(f, "# After the shards: one database, its figures and tables.\n"
		"set -e\n"
		"%s merge %s %s/shard-*.db\n"
		"%s plot --db %s --out %s %s\n"
		"%s report --db %s --out %s --quiet %s\n",
		j->exe, j->db, shards, j->exe, j->db, j->out, name, j->exe,
		j->db, j->out, name);
}

static int write_script(const struct job *j, const char *file,
			void (*body)(FILE *, const struct job *), char *err,
			size_t errlen)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", j->dir, file);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	body(f, j);
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "%s: write error", path);
		return -1;
	}
	chmod(path, 0755);
	return 0;
}

/* sbatch --parsable [--dependency=afterany:ID] SCRIPT; the job id. */
static int sbatch(const char *script, const char *after, char *id,
		  size_t idlen, char *err, size_t errlen)
{
	int p[2];
	if (pipe(p) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	char dep[128];
	snprintf(dep, sizeof(dep), "--dependency=afterany:%s", after ? after : "");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (after)
			execlp("sbatch", "sbatch", "--parsable", dep, script,
			       (char *)NULL);
		else
			execlp("sbatch", "sbatch", "--parsable", script,
			       (char *)NULL);
		fprintf(stderr, "mplm-exp: sbatch: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	ssize_t n = pid > 0 ? read(p[0], id, idlen - 1) : -1;
	close(p[0]);
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	id[n > 0 ? n : 0] = '\0';
	id[strcspn(id, ";\n")] = '\0';   /* "ID;cluster" */
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || !id[0]) {
		snprintf(err, errlen, "sbatch %s failed%s", script,
			 WIFEXITED(status) && WEXITSTATUS(status) == 127
				 ? " (is Slurm installed here?)" : "");
		return -1;
	}
	return 0;
}

static int make_job(const char *expfile, const char *name,
		    const struct slurm_opts *o, struct job *j, char *err,
		    size_t errlen)
{
	char path[4200], exe[4096];
	*j = (struct job){ .name = name, .o = o };
	if (report_dir(o->out, name, path, sizeof(path), err, errlen))
		return -1;
	snprintf(j->dir, sizeof(j->dir), "%.4100s/slurm", path);
	if (mkdir(j->dir, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", j->dir, strerror(errno));
		return -1;
	}
	if (absolute(j->dir, path, sizeof(path)) == 0)
		snprintf(j->dir, sizeof(j->dir), "%s", path);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || !realpath(expfile, path)) {
		snprintf(err, errlen, "%s: %s", n <= 0 ? "/proc/self/exe" : expfile,
			 strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	sh_quote(exe, j->exe, sizeof(j->exe));
	sh_quote(path, j->exp, sizeof(j->exp));
	if (absolute(o->db, path, sizeof(path)))
		return -1;
	sh_quote(path, j->db, sizeof(j->db));
	if (absolute(o->out, path, sizeof(path)))
		return -1;
	sh_quote(path, j->out, sizeof(j->out));
	return 0;
}

int slurm_submit(const char *expfile, const char *name,
		 const struct slurm_opts *o, FILE *say, char *err,
		 size_t errlen)
{
	struct job j;
	if (make_job(expfile, name, o, &j, err, errlen) ||
	    write_script(&j, "array.sh", write_array, err, errlen) ||
	    write_script(&j, "merge.sh", write_merge, err, errlen))
		return -1;
	char array[4300], merge[4300];
	snprintf(array, sizeof(array), "%s/array.sh", j.dir);
	snprintf(merge, sizeof(merge), "%s/merge.sh", j.dir);
	if (o->dry_run) {
		fprintf(say, "# %s\n", array);
		write_array(say, &j);
		fprintf(say, "\n# %s\n", merge);
		write_merge(say, &j);
		fprintf(say, "\n# submit: id=$(sbatch --parsable %s)\n"
			"#         sbatch --dependency=afterany:$id %s\n", array,
			merge);
		return 0;
	}
	char id[64], id2[64];
	if (sbatch(array, NULL, id, sizeof(id), err, errlen) ||
	    sbatch(merge, id, id2, sizeof(id2), err, errlen))
		return -1;
	fprintf(say, "%s: submitted job array %s (%u tasks, shards and logs in "
		"%s) and merge job %s (into %s, then plot and report)\n", name,
		id, o->tasks, j.dir, id2, o->db);
	return 0;
}
