"""What the stack benchmarks (pool.py, session.py) read of a bench stack's
ecs.env (bench/stack.sh starts the stack): the endpoint's host and port, a
TLS context with the client certificate, and the BASIC credentials' header
when the stack has them."""
import base64, ssl


def load(path):
    """(env dict, host, port, ssl context, auth headers dict) of the ecs.env at path."""
    env = {}
    for line in open(path):
        if "=" in line and not line.startswith("#"):
            k, v = line.strip().split("=", 1)
            env[k] = v.strip("'\"")
    host, port = env["ECS_ENDPOINT"].split("//")[1].split(":")
    ctx = ssl.create_default_context(cafile=env["ECS_CA_CERT"])
    ctx.load_cert_chain(env["ECS_CLIENT_CERT"], env["ECS_CLIENT_KEY"])
    auth = {}
    if env.get("ECS_KEY"):
        auth["Authorization"] = "Basic " + base64.b64encode(
            (env["ECS_KEY"] + ":" + env.get("ECS_SECRET", "")).encode()).decode()
    return env, host, int(port), ctx, auth
