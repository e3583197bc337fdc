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

# The other services, from stubs of every proto file (head_fitting.proto's target presence must survive protoc 3.x).
from imagescore.v1 import imagesort_pb2 as sort_pb, imagesort_pb2_grpc as sort_rpc  # noqa: E402
from imagescore.v1 import head_fitting_pb2 as fit_pb, head_fitting_pb2_grpc as fit_rpc  # noqa: E402
from imagescore.v1 import rating_pb2 as rating_pb, rating_pb2_grpc as rating_rpc  # noqa: E402

regs = sort_rpc.ImageSortStub(channel).ListRegulations(sort_pb.ListRegulationsRequest(), timeout=60)
print("REGULATIONS", len(regs.regulations))
sets = rpc.PromptSetsStub(channel).ListPromptSets(pb.ListPromptSetsRequest(), timeout=60)
print("PROMPT_SETS", len(sets.prompt_sets))
rated = fit_pb.LabelledImage(id="r", data=image, target=0.0)
print("TARGET_PRESENT", rated.HasField("target"), fit_pb.LabelledImage(id="u", data=image).HasField("target"))
try:
    fit_rpc.HeadFittingStub(channel).EvaluateHead(fit_pb.EvaluateHeadRequest(score="no_such_score", images=[rated]), timeout=60)
except grpc.RpcError as e:
    print("EVALUATE_STATUS", e.code().name)
try:
    fit_rpc.HeadFittingStub(channel).DeleteHead(fit_pb.DeleteHeadRequest(name="no_such_head"), timeout=60)
except grpc.RpcError as e:
    print("DELETE_HEAD_STATUS", e.code().name)
try:
    rpc.PromptSetsStub(channel).DeletePromptSetVersion(pb.DeletePromptSetVersionRequest(name="no_such_set", version="1"), timeout=60)
except grpc.RpcError as e:
    print("DELETE_PROMPT_SET_VERSION_STATUS", e.code().name)
try:
    rating_rpc.CampaignsStub(channel).DeleteCampaign(rating_pb.DeleteCampaignRequest(campaign="no-such-campaign"), timeout=60)
except grpc.RpcError as e:
    print("DELETE_CAMPAIGN_STATUS", e.code().name)
