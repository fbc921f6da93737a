package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClassLabelsTest {

    @Test
    void kinetics400NamesInTorchvisionsOrder() {
        ClassLabels k = ClassLabels.forClasses(400);
        assertEquals(400, k.size());
        assertEquals("abseiling", k.name(0));
        assertEquals("playing guitar", k.name(232));
        assertEquals("zumba", k.name(399));
    }

    @Test
    void topKIsTheSoftmaxOrder() {
        float[] logits = new float[400 * 2];
        logits[232] = 5f;
        logits[0] = 4f;
        logits[400 + 399] = 1f;
        List<List<ClassLabels.Prediction>> top = ClassLabels.forClasses(400).topK(new Tensor(logits, 2, 400), 2);
        ClassLabels.Prediction first = top.get(0).get(0);
        assertEquals("playing guitar", first.label());
        double z = Math.exp(5) + Math.exp(4) + 398;
        assertEquals(Math.exp(5) / z, first.probability(), 1e-12);
        assertEquals("abseiling", top.get(0).get(1).label());
        assertEquals(399, top.get(1).get(0).index());
        assertEquals("abseiling", top.get(1).get(1).label(), "ties keep the lower index first");
    }

    @Test
    void otherClassifiersGetIndicesAndAFileMustFit() {
        ClassLabels ten = ClassLabels.forClasses(10);
        assertEquals("class 7", ten.name(7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ten.topK(new Tensor(new float[12], 1, 12), 1));
        assertTrue(e.getMessage().contains("do not fit 10 class names"), e.getMessage());
    }
}
