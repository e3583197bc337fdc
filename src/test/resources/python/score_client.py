"""A plain Python gRPC client (Debian python3-grpcio), stubs generated from proto/ — proves the API works for
non-Java callers. Usage: score_client.py STUB_DIR HOST:PORT IMAGE"""
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
from imagescore.v1 import imagescore_pb2 as pb, imagescore_pb2_grpc as rpc  # noqa: E402

channel = grpc.insecure_channel(sys.argv[2])
stub = rpc.ImageScoreStub(channel)
packs = stub.DescribePacks(pb.DescribePacksRequest(), timeout=60)
print("PACK", packs.default_pack, packs.packs[0].ref.content_hash)
with open(sys.argv[3], "rb") as f:
    image = f.read()
reply = stub.Score(pb.ScoreRequest(images=[pb.ImageInput(id="photo", data=image), pb.ImageInput(id="junk", data=b"xx")],
                                   options=pb.ScoreOptions(scores=["imagenet"], top_k=3)), timeout=60)
for result in reply.results:
    if result.HasField("scores"):
        print("RESULT", result.id, result.scores.classes[0].top[0].label)
    else:
        print("ERROR", result.id, result.error.code)
try:
    stub.Score(pb.ScoreRequest(images=[pb.ImageInput(id="x", data=image)], options=pb.ScoreOptions(pack="nope")), timeout=60)
except grpc.RpcError as e:
    print("STATUS", e.code().name)
