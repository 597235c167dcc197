wrk.method = "POST"
wrk.body = '{"from":"bench","channel":"bench","type":"bench.tick","payload":{"n":1,"text":"hello from wrk"}}'
wrk.headers["Content-Type"] = "application/json"
