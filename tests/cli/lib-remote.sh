# lib-remote.sh: remote stores on loopback for the t-remote*.sh cases
# (source lib.sh first). Each server is started by the case, on a free
# port of 127.0.0.1, and stopped at exit.
#   free_port             print a free TCP port of 127.0.0.1
#   nginx_start NAME [ro] serve $T/NAME with nginx (WebDAV PUT, as a
#                         non-daemon with its config under $T/nginx-NAME);
#                         with "ro", PUT is refused with 403. Exports
#                         NGINX_URL=http://127.0.0.1:PORT
#   nginx_stop NAME       stop it (SIGQUIT, then wait)
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
        local j
        for j in $(seq 100); do
            if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then
                export NGINX_URL=http://127.0.0.1:$port
                return 0
            fi
            kill -0 "${NGINX_PIDS[$name]}" 2>/dev/null || break
            sleep 0.05
        done
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
    local port i
    [ -x "$MOTO/bin/moto_server" ] || fail "no moto server at $MOTO (scripts/bootstrap.sh)"
    port=$(free_port)
    INITIAL_NO_AUTH_ACTION_COUNT=3 "$MOTO/bin/moto_server" -H 127.0.0.1 -p "$port" \
        </dev/null >>"$T/moto.log" 2>&1 &
    MOTO_PID=$!
    VC_CLEANUP+=("moto_stop")
    for i in $(seq 200); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
        kill -0 "$MOTO_PID" 2>/dev/null || fail "moto_server did not start: $(tail -5 "$T/moto.log")"
        sleep 0.05
    done
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
