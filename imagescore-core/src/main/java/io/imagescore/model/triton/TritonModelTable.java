package io.imagescore.model.triton;

import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import org.jboss.logging.Logger;

import java.util.Collection;
import java.util.Map;

/** The backend's loaded models as the prober sees them. */
final class TritonModelTable implements TritonProber.Models {
    private static final Logger LOG = Logger.getLogger(TritonBackend.class);

    private final Map<String, TritonModel> models;

    TritonModelTable(Map<String, TritonModel> models) {
        this.models = models;
    }

    @Override
    public Collection<ModelSpec> specs() {
        return models.values().stream().map(m -> m.spec).toList();
    }

    @Override
    public String mismatch(String modelId) {
        TritonModel m = models.get(modelId);
        return m == null ? null : m.mismatch;
    }

    @Override
    public void validated(TritonEndpoint ep, ModelSpec spec, Map<String, String> wireTypes) {
        TritonModel m = models.get(spec.id());
        if (m != null) {
            m.accept(ep, wireTypes);
        }
    }

    @Override
    public void mismatched(ModelSpec spec, ImageScoreException e) {
        TritonModel m = models.get(spec.id());
        if (m != null && m.mismatch == null) {
            m.mismatch = e.getMessage();
            LOG.errorf("%s; the service stays not ready until the pack or Triton is fixed", e.getMessage());
        }
    }
}
