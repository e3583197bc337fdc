package io.imagescore.api;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.imagescore.api.v1.HeadFittingGrpc;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.LabelTuningGrpc;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.tenant.Role;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every RPC of the public API has its role in RpcRoles (a new RPC without one would need admin). */
class RpcRolesTest {

    @Test
    void every_public_rpc_has_a_role_and_nothing_else_is_listed() {
        List<String> methods = new ArrayList<>();
        for (ServiceDescriptor s : List.of(ImageScoreGrpc.getServiceDescriptor(), PromptSetsGrpc.getServiceDescriptor(),
                LabelTuningGrpc.getServiceDescriptor(), ImageSortGrpc.getServiceDescriptor(), HeadFittingGrpc.getServiceDescriptor(),
                io.imagescore.api.v1.ExperimentsGrpc.getServiceDescriptor(), io.imagescore.api.v1.CampaignsGrpc.getServiceDescriptor())) {
            for (MethodDescriptor<?, ?> m : s.getMethods()) {
                methods.add(m.getFullMethodName().substring("imagescore.v1.".length()));
            }
        }
        assertThat(RpcRoles.table().keySet()).containsExactlyInAnyOrderElementsOf(methods);
        assertThat(RpcRoles.required("imagescore.v1.ImageSort/PutRegulation")).isEqualTo(Role.CONFIGURE);
        assertThat(RpcRoles.required("imagescore.v1.ImageSort/Sort")).isEqualTo(Role.SCORE);
        assertThat(RpcRoles.required("imagescore.v1.ImageSort/NewRpc")).isEqualTo(Role.ADMIN);
        assertThat(RpcRoles.required("grpc.health.v1.Health/Check")).isNull();
    }
}
