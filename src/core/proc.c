/* proc.c: fork, exec, collect output, wait, with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* Why the child could not run, sent over a close-on-exec pipe. */
struct child_failure {
	int chdir_failed; /* else exec failed */
	int err;
};

/* Milliseconds left until `deadline` (vc_monotonic()), at least 0; -1
 * (wait for ever) when there is none. */
static int
left_ms(double deadline)
{
	double left;

	if (deadline == 0)
		return -1;
	left = (deadline - vc_monotonic()) * 1000;
	if (left <= 0)
		return 0;
	return left > 1e9 ? 1000000000 : (int)left + 1;
}

/*
 * Appends what `fd` has to `b` (keeping the tail of stdout within
 * max_output): 1 while open, 0 at its end.
 */
static int
drain(const struct vc_proc *p, int fd, struct vc_buf *b, int lines,
    size_t *done, size_t *total)
{
	ssize_t n;

	vc_buf_grow(b, 8192);
	n = read(fd, b->data + b->len, 8192);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	*total += (size_t)n;
	if (!lines)
		return 1;
	emit_lines(p, b, done);
	if (p->max_output != 0 && *done > p->max_output) {
		/* Keep the tail: what pip says last matters. */
		size_t cut = *done - p->max_output / 2;

		memmove(b->data, b->data + cut, b->len - cut + 1);
		b->len -= cut;
		*done -= cut;
	}
	return 1;
}

/*
 * Waits for `pid` until `deadline`: 0 with *status, 1 when the time ran
 * out, -1 on error. A pidfd lets poll() wait; without one (kernels before
 * 5.3), waitpid(WNOHANG) is retried with a growing sleep.
 */
static int
wait_until(pid_t pid, double deadline, int *status)
{
	struct pollfd pfd;
	long nap_us = 500;
	pid_t r;

	if (deadline == 0) {
		while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
			;
		return r == -1 ? -1 : 0;
	}
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	pfd.events = POLLIN;
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == -1 && errno == EINTR)
			continue;
		if (r != 0)
			break;
		if (left_ms(deadline) == 0) {
			r = 0;
			break;
		}
		if (pfd.fd != -1) {
			(void)poll(&pfd, 1, left_ms(deadline));
		} else {
			struct timespec ts = {0, nap_us * 1000};

			nanosleep(&ts, NULL);
			if (nap_us < 50000)
				nap_us *= 2;
		}
	}
	if (pfd.fd != -1)
		close(pfd.fd);
	return r == -1 ? -1 : r == 0;
}

int
vc_proc_run(const struct vc_proc *p, struct vc_error *err)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, px[2] = {-1, -1};
	int status, rc = -1, cap_out, cap_err, i, w;
	const char *shown = p->shown != NULL ? p->shown : p->argv[0];
	char **env = NULL, *exe = NULL;
	struct child_failure cf;
	struct vc_buf local;
	struct vc_buf *out;
	size_t done = 0, total = 0;
	double deadline = 0;
	pid_t pid = -1;
	ssize_t n;

	vc_buf_init(&local);
	cap_out = p->output != NULL || p->on_line != NULL;
	cap_err = p->errout != NULL;
	out = p->output != NULL ? p->output : &local;
	/* A name with a '/' is run as it is, and exec says what is wrong. */
	exe = strchr(p->argv[0], '/') != NULL ? xstrdup(p->argv[0])
	                                      : vc_proc_which(p->argv[0]);
	if (exe == NULL) {
		vc_error_set(err, VC_EFAIL, "cannot find '%s' on PATH",
		    p->argv[0]);
		goto out;
	}
	if ((cap_out && pipe2(po, O_CLOEXEC) == -1) ||
	    (cap_err && pipe2(pe, O_CLOEXEC) == -1) ||
	    pipe2(px, O_CLOEXEC) == -1) {
		vc_error_sys(err, "cannot create a pipe");
		goto out;
	}
	env = child_env(p);
	if (p->timeout != 0)
		deadline = vc_monotonic() + p->timeout;
	pid = fork();
	if (pid == -1) {
		vc_error_sys(err, "cannot start '%s'", shown);
		goto out;
	}
	if (pid == 0) {
		if (p->null_stdin) {
			int null = open("/dev/null", O_RDONLY);

			if (null != -1)
				dup2(null, 0);
		}
		if (cap_out)
			dup2(po[1], 1);
		if (cap_err)
			dup2(pe[1], 2);
		else if (cap_out)
			dup2(po[1], 2);
		cf.chdir_failed = 1;
		if (p->cwd == NULL || chdir(p->cwd) == 0) {
			signal(SIGPIPE, SIG_DFL);
			execve(exe, (char *const *)p->argv, env);
			cf.chdir_failed = 0;
		}
		cf.err = errno;
		(void)!write(px[1], &cf, sizeof cf);
		_exit(127);
	}
	if (po[1] != -1)
		close(po[1]);
	if (pe[1] != -1)
		close(pe[1]);
	close(px[1]);
	po[1] = pe[1] = px[1] = -1;
	while ((n = read(px[0], &cf, sizeof cf)) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof cf) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		pid = -1;
		errno = cf.err;
		if (cf.chdir_failed)
			vc_error_sys(err, "cannot run '%s' in '%s'", shown,
			    p->cwd);
		else
			vc_error_sys(err, "cannot run '%s'", shown);
		goto out;
	}
	while (po[0] != -1 || pe[0] != -1) {
		struct pollfd pfd[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		int ms = left_ms(deadline);

		if (ms == 0)
			goto timed_out;
		if (poll(pfd, 2, ms) == -1) {
			if (errno == EINTR)
				continue;
			vc_error_sys(err, "cannot wait for '%s'", shown);
			goto out;
		}
		if (pfd[0].revents != 0 &&
		    !drain(p, po[0], out, 1, &done, &total)) {
			close(po[0]);
			po[0] = -1;
		}
		if (pfd[1].revents != 0 &&
		    !drain(p, pe[0], p->errout, 0, &done, &total)) {
			close(pe[0]);
			pe[0] = -1;
		}
		if (p->output_limit != 0 && total > p->output_limit) {
			vc_error_set(err, VC_EFAIL,
			    "'%s' printed more than %zu bytes", shown,
			    p->output_limit);
			goto out;
		}
	}
	if ((w = wait_until(pid, deadline, &status)) == 1)
		goto timed_out;
	if (w == -1) {
		vc_error_sys(err, "cannot wait for '%s'", shown);
		goto out;
	}
	pid = -1;
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		rc = 128 + WTERMSIG(status);
	goto out;
timed_out:
	vc_error_set(err, VC_EFAIL, "'%s' did not finish within %u seconds",
	    shown, p->timeout);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	for (i = 0; i < 2; i++) {
		if (po[i] != -1)
			close(po[i]);
		if (pe[i] != -1)
			close(pe[i]);
		if (px[i] != -1)
			close(px[i]);
	}
	if (env != NULL)
		free_env(env);
	free(exe);
	vc_buf_release(&local);
	return rc;
}
