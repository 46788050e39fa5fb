# lib-remote.sh: remote stores on loopback for the t-remote*.sh cases
# (source lib.sh first). Each server is started by the case, on a free
# port of 127.0.0.1, and stopped at exit.
#   free_port             print a free TCP port of 127.0.0.1
#   nginx_start NAME [ro] serve $T/NAME with nginx (WebDAV PUT, as a
#                         non-daemon with its config under $T/nginx-NAME);
#                         with "ro", PUT is refused with 403. Exports
#                         NGINX_URL=http://127.0.0.1:PORT
#   nginx_stop NAME       stop it (SIGQUIT, then wait)
#   apache_start NAME     serve $T/NAME with Apache's mod_dav (apache2 -X,
#                         its config, logs and lock database under
#                         $T/apache-NAME; as root, it runs as nobody).
#                         Requests are logged as "METHOD PATH STATUS
#                         BYTES-RECEIVED" (headers and body) to
#                         $T/apache-NAME/access.log. Exports
#                         APACHE_URL=http://127.0.0.1:PORT
#   apache_stop           stop it (SIGTERM, then wait)
#   port_wait PORT PID    0 once 127.0.0.1:PORT takes connections; 1 when
#                         PID is gone, or after 5 s
#   faults_start MODE [N] serve $T/faults with tests/remote-faults.py,
#                         answering archive requests with fault MODE (N
#                         times, 0: always). Exports FAULTS_URL
#   faults_stop           stop it
#   stat_of ID            the counter ID of the store, from stats --format json
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
declare -A NGINX_PIDS=()
FAULTS_PID=

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_wait() {
    local _
    for _ in $(seq 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

nginx_start() {
    local name=$1 mode=${2:-rw} dir=$T/nginx-$1 port i limit=""
    [ -x "$NGINX_BIN" ] || fail "nginx is not installed (scripts/bootstrap.sh)"
    mkdir -p "$dir" "$T/$name"
    [ "$mode" = ro ] && limit="limit_except GET HEAD { deny all; }"
    for i in 1 2 3 4 5; do
        port=$(free_port)
        cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$port;
        root $T/$name;
        client_max_body_size 0;
        location / {
            $limit
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }
    }
}
CONF
        "$NGINX_BIN" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" </dev/null >>"$dir/out" 2>&1 &
        NGINX_PIDS[$name]=$!
        VC_CLEANUP+=("nginx_stop $name")
        if port_wait "$port" "${NGINX_PIDS[$name]}"; then
            export NGINX_URL=http://127.0.0.1:$port
            return 0
        fi
        nginx_stop "$name"
    done
    fail "nginx did not start: $(cat "$dir/error.log" "$dir/out" 2>/dev/null | tail -5)"
}

nginx_stop() {
    local pid=${NGINX_PIDS[$1]:-}
    [ -n "$pid" ] || return 0
    NGINX_PIDS[$1]=
    kill -QUIT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

APACHE_BIN=${VC_APACHE_BIN:-$(command -v apache2 || echo /usr/sbin/apache2)}
APACHE_MODULES=${VC_APACHE_MODULES:-/usr/lib/apache2/modules}
APACHE_PID=
apache_start() {
    local name=$1 dir=$T/apache-$1 port i user=""
    [ -x "$APACHE_BIN" ] || fail "apache2 is not installed (scripts/bootstrap.sh: apache2-bin)"
    mkdir -p "$dir/lock" "$T/$name"
    if [ "$(id -u)" = 0 ]; then
        # Apache serves as root only if built to: run as nobody, who
        # must reach and write the served directory and the lock database.
        user="User nobody
Group $(id -gn nobody)"
        chmod 711 "$T"
        chown -R nobody: "$T/$name" "$dir/lock"
        runuser -u nobody -- test -w "$T/$name" ||
            fail "nobody cannot write $T/$name for apache2 (is TMPDIR traversable by all?)"
    fi
    for i in 1 2 3 4 5; do
        port=$(free_port)
        cat >"$dir/httpd.conf" <<CONF
ServerRoot $dir
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $dir/apache.pid
ErrorLog $dir/error.log
LogFormat "%m %U %>s %I" vc
CustomLog $dir/access.log vc
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule dav_module $APACHE_MODULES/mod_dav.so
LoadModule dav_fs_module $APACHE_MODULES/mod_dav_fs.so
$user
DavLockDB $dir/lock/db
DocumentRoot $T/$name
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory $T/$name>
    Dav On
    Require all granted
</Directory>
CONF
        "$APACHE_BIN" -X -f "$dir/httpd.conf" </dev/null >>"$dir/out" 2>&1 &
        APACHE_PID=$!
        VC_CLEANUP+=("apache_stop")
        if port_wait "$port" "$APACHE_PID"; then
            export APACHE_URL=http://127.0.0.1:$port
            return 0
        fi
        apache_stop
    done
    fail "apache2 did not start: $(cat "$dir/error.log" "$dir/out" 2>/dev/null | tail -5)"
}

apache_stop() {
    local pid=$APACHE_PID
    [ -n "$pid" ] || return 0
    APACHE_PID=
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

faults_start() {
    local i
    rm -f "$T/faults.port"
    mkdir -p "$T/faults"
    python3 "$VC_SRC/tests/remote-faults.py" --root "$T/faults" --fault "$1" \
        --times "${2:-0}" --port-file "$T/faults.port" --log "$T/faults.log" \
        </dev/null >>"$T/faults.err" 2>&1 &
    FAULTS_PID=$!
    VC_CLEANUP+=("faults_stop")
    for i in $(seq 100); do
        [ -s "$T/faults.port" ] && break
        kill -0 "$FAULTS_PID" 2>/dev/null || fail "remote-faults.py did not start: $(cat "$T/faults.err")"
        sleep 0.05
    done
    [ -s "$T/faults.port" ] || fail "remote-faults.py wrote no port in 5 s"
    export FAULTS_URL=http://127.0.0.1:$(cat "$T/faults.port")
}

faults_stop() {
    local pid=$FAULTS_PID
    [ -n "$pid" ] || return 0
    FAULTS_PID=
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stat_of() {
    "$VENVCACHE_BIN" stats --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"
}

# moto_start: moto's S3 server (build/moto, scripts/bootstrap.sh) with
# authentication on: the first 3 requests (an IAM user, its policy, its
# access key) go unchecked, every later one must be signed with that key.
# Creates bucket "vc-bucket" and exports AWS_ENDPOINT_URL,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
MOTO=${VC_MOTO:-$VC_SRC/build/moto}
MOTO_PID=
moto_start() {
    local port
    [ -x "$MOTO/bin/moto_server" ] || fail "no moto server at $MOTO (scripts/bootstrap.sh)"
    port=$(free_port)
    INITIAL_NO_AUTH_ACTION_COUNT=3 "$MOTO/bin/moto_server" -H 127.0.0.1 -p "$port" \
        </dev/null >>"$T/moto.log" 2>&1 &
    MOTO_PID=$!
    VC_CLEANUP+=("moto_stop")
    port_wait "$port" "$MOTO_PID" || port_wait "$port" "$MOTO_PID" ||
        fail "moto_server did not start: $(tail -5 "$T/moto.log")"
    export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_REGION=eu-west-1
    unset AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION AWS_SESSION_TOKEN AWS_PROFILE || true
    eval "$(AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x "$MOTO/bin/python" - <<'PY'
import json, os, boto3
ep = os.environ["AWS_ENDPOINT_URL"]
iam = boto3.client("iam", endpoint_url=ep, region_name="us-east-1")
iam.create_user(UserName="vc")
iam.put_user_policy(UserName="vc", PolicyName="s3", PolicyDocument=json.dumps(
    {"Version": "2012-10-17",
     "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
k = iam.create_access_key(UserName="vc")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=ep, region_name="eu-west-1",
                  aws_access_key_id=k["AccessKeyId"],
                  aws_secret_access_key=k["SecretAccessKey"])
s3.create_bucket(Bucket="vc-bucket",
                 CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
print("export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s"
      % (k["AccessKeyId"], k["SecretAccessKey"]))
PY
)" || fail "moto setup failed: $(tail -5 "$T/moto.log")"
}

moto_stop() {
    local pid=$MOTO_PID
    [ -n "$pid" ] || return 0
    MOTO_PID=
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# s3_keys: the object keys of vc-bucket, one a line, sorted.
s3_keys() {
    "$MOTO/bin/python" - <<'PY'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
for o in sorted(x["Key"] for x in s3.list_objects_v2(Bucket="vc-bucket").get("Contents", [])):
    print(o)
PY
}
