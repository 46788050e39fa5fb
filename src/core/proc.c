/* proc.c: fork, exec, collect output, wait. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "venvcache/proc.h"

extern char **environ;

char *
vc_proc_which(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	struct stat st;
	char *cand;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(end - p), end == p ? "." : p,
		    name);
		if (end == p) {
			free(cand);
			cand = xasprintf("./%s", name);
		}
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (*end == '\0')
			return NULL;
	}
}

/* The environment for the child: ours, minus env_unset, plus env_set. */
static char **
child_env(const struct vc_proc *p)
{
	struct vc_strv env;
	size_t i, j, n;
	char **e;

	vc_strv_init(&env);
	for (e = environ; *e != NULL; e++) {
		int drop = 0;

		n = strcspn(*e, "=");
		for (i = 0; p->env_unset != NULL && p->env_unset[i] != NULL;
		     i++)
			if (strlen(p->env_unset[i]) == n &&
			    strncmp(*e, p->env_unset[i], n) == 0)
				drop = 1;
		for (j = 0; p->env_set != NULL && p->env_set[j] != NULL; j++)
			if (strncmp(*e, p->env_set[j], n + 1) == 0)
				drop = 1;
		if (!drop)
			vc_strv_push(&env, *e);
	}
	for (j = 0; p->env_set != NULL && p->env_set[j] != NULL; j++)
		vc_strv_push(&env, p->env_set[j]);
	return env.v != NULL ? env.v : xcalloc(1, sizeof(char *));
}

static void
free_env(char **env)
{
	char **e;

	for (e = env; *e != NULL; e++)
		free(*e);
	free(env);
}

/* Feeds complete lines of `b` (from `*done`) to the callback. */
static void
emit_lines(const struct vc_proc *p, struct vc_buf *b, size_t *done)
{
	char *nl;

	while ((nl = memchr(b->data + *done, '\n', b->len - *done)) != NULL) {
		*nl = '\0';
		if (p->on_line != NULL)
			p->on_line(b->data + *done, p->arg);
		*nl = '\n';
		*done = (size_t)(nl - b->data) + 1;
	}
}

int
vc_proc_run(const struct vc_proc *p, struct vc_error *err)
{
	int fds[2] = {-1, -1}, status, rc = -1, capture;
	char **env = NULL, *exe = NULL;
	struct vc_buf local;
	struct vc_buf *out;
	size_t done = 0;
	pid_t pid;
	ssize_t n;

	vc_buf_init(&local);
	capture = p->output != NULL || p->on_line != NULL;
	out = p->output != NULL ? p->output : &local;
	exe = vc_proc_which(p->argv[0]);
	if (exe == NULL) {
		vc_error_set(err, VC_EFAIL, "cannot find '%s' on PATH",
		    p->argv[0]);
		goto out;
	}
	if (capture && pipe2(fds, O_CLOEXEC) == -1) {
		vc_error_sys(err, "cannot create a pipe");
		goto out;
	}
	env = child_env(p);
	pid = fork();
	if (pid == -1) {
		vc_error_sys(err, "cannot start '%s'", p->argv[0]);
		goto out;
	}
	if (pid == 0) {
		if (capture) {
			dup2(fds[1], 1);
			dup2(fds[1], 2);
		}
		if (p->cwd != NULL && chdir(p->cwd) == -1)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execve(exe, (char *const *)p->argv, env);
		_exit(127);
	}
	if (capture) {
		close(fds[1]);
		fds[1] = -1;
		for (;;) {
			vc_buf_grow(out, 8192);
			n = read(fds[0], out->data + out->len, 8192);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			out->len += (size_t)n;
			out->data[out->len] = '\0';
			emit_lines(p, out, &done);
			if (p->max_output != 0 && done > p->max_output) {
				/* Keep the tail: what pip says last matters. */
				size_t cut = done - p->max_output / 2;

				memmove(out->data, out->data + cut,
				    out->len - cut + 1);
				out->len -= cut;
				done -= cut;
			}
		}
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			vc_error_sys(err, "cannot wait for '%s'", p->argv[0]);
			goto out;
		}
	}
	if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
		if (rc == 127)
			vc_error_set(err, VC_EFAIL, "cannot run '%s'", exe);
	} else {
		rc = 128 + WTERMSIG(status);
	}
out:
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
	if (env != NULL)
		free_env(env);
	free(exe);
	vc_buf_release(&local);
	return rc;
}
