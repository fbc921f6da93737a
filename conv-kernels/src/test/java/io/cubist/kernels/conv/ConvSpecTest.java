package io.cubist.kernels.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.tensor.Dims3;
import org.junit.jupiter.api.Test;

class ConvSpecTest {

    @Test
    void outputSizeFollowsPytorch() {
        ConvSpec c = ConvSpec.builder(3, 3, 64, 3).padding(1).build();
        assertEquals(new Dims3(16, 112, 112), c.outputSize(new Dims3(16, 112, 112)));
        ConvSpec s2 = ConvSpec.builder(3, 64, 128, 3).stride(2).padding(1).build();
        assertEquals(new Dims3(8, 56, 56), s2.outputSize(new Dims3(16, 112, 112)));
        ConvSpec dil = ConvSpec.builder(2, 1, 1, 3).dilation(2).build();
        assertEquals(new Dims3(1, 6, 6), dil.outputSize(new Dims3(1, 10, 10)));
        // r2plus1d stem: (1,7,7) stride (1,2,2) padding (0,3,3)
        ConvSpec stem = ConvSpec.builder(3, 3, 45, 1, 7, 7).stride(1, 2, 2).padding(0, 3, 3).build();
        assertEquals(new Dims3(16, 56, 56), stem.outputSize(new Dims3(16, 112, 112)));
    }

    @Test
    void samePaddingPutsTheOddElementAtTheEnd() {
        ConvSpec even = ConvSpec.builder(1, 1, 1, 4).paddingSame().build();
        assertEquals(1, even.padBefore().w());
        assertEquals(2, even.padAfter().w());
        assertEquals(new Dims3(1, 1, 7), even.outputSize(new Dims3(1, 1, 7)));
        ConvSpec dil = ConvSpec.builder(2, 1, 1, 2, 3).paddingSame().dilation(3, 2).build();
        assertEquals(new Dims3(0, 1, 2), dil.padBefore());
        assertEquals(new Dims3(0, 2, 2), dil.padAfter());
    }

    @Test
    void transposedOutputSize() {
        ConvSpec t = ConvSpec.builder(3, 64, 32, 2).stride(2).transposed(true).build();
        assertEquals(new Dims3(16, 56, 56), t.outputSize(new Dims3(8, 28, 28)));
        ConvSpec op = ConvSpec.builder(1, 2, 2, 3).stride(2).padding(1).outputPadding(1).dilation(2).transposed(true)
                .build();
        // (5-1)*2 - 2 + 2*(3-1) + 1 + 1
        assertEquals(12, op.outputSize(2, 5));
    }

    @Test
    void arithmetic() {
        ConvSpec c = ConvSpec.builder(3, 64, 128, 3).stride(2).padding(1).bias(false).build();
        assertEquals(64L * 128 * 27, c.parameterCount());
        assertEquals(64L * 128 * 27 * 8 * 56 * 56, c.macs(1, new Dims3(16, 112, 112)));
        ConvSpec g = ConvSpec.builder(3, 256, 256, 3).groups(2).build();
        assertEquals(128L * 256 * 27 + 256, g.parameterCount());
        assertEquals(new Dims3(5, 5, 5), ConvSpec.builder(3, 1, 1, 3).dilation(2).build().effectiveKernel());
        ReceptiveField two = ConvSpec.builder(2, 1, 1, 3).stride(2).build().receptiveField()
                .then(ConvSpec.builder(2, 1, 1, 3).build().receptiveField());
        assertEquals(new Dims3(1, 7, 7), two.size());
        assertEquals(new Dims3(1, 2, 2), two.jump());
    }

    @Test
    void impossibleSpecsNameTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvSpec.builder(3, 6, 8, 3).groups(4).build());
        assertTrue(e.getMessage().contains("in_channels (6) must be divisible by groups (4)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder(2, 1, 1, 3).stride(2).paddingSame()
                .build());
        assertTrue(e.getMessage().contains("padding='same' is not supported for strided"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder(2, 1, 1, 0).build());
        assertTrue(e.getMessage().contains("kernel_size must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder(2, 1, 1, 3).stride(2)
                .outputPadding(2).transposed(true).build());
        assertTrue(e.getMessage().contains("output_padding [2, 2] must be smaller than either stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder(2, 1, 1, 3)
                .paddingMode(PaddingMode.REFLECT).transposed(true).build());
        assertTrue(e.getMessage().contains("only padding_mode='zeros'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder(3, 1, 1, 3, 3).build());
        assertTrue(e.getMessage().contains("kernel_size must be an int or a list of 3 ints"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder(3, 1, 1, 5).build()
                .outputSize(new Dims3(4, 4, 4)));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder(1, 1, 1, 3).padding(3)
                .paddingMode(PaddingMode.REFLECT).build().checkPaddingFits(new Dims3(1, 1, 3)));
        assertTrue(e.getMessage().contains("reflect padding 3 must be smaller than the input size 3"), e.getMessage());
    }

    @Test
    void paddingModesMapIndices() {
        assertEquals(1, PaddingMode.REFLECT.map(-1, 5));
        assertEquals(3, PaddingMode.REFLECT.map(5, 5));
        assertEquals(0, PaddingMode.REPLICATE.map(-2, 5));
        assertEquals(4, PaddingMode.CIRCULAR.map(-1, 5));
        assertEquals(0, PaddingMode.CIRCULAR.map(5, 5));
        assertEquals(-1, PaddingMode.ZEROS.map(5, 5));
        assertThrows(IllegalArgumentException.class, () -> PaddingMode.parse("mirror"));
    }
}
