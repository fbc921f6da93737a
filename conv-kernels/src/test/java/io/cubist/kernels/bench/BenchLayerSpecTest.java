package io.cubist.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.conv.ConvSpec;
import io.cubist.kernels.conv.PaddingMode;
import io.cubist.kernels.ops.PoolSpec;
import io.cubist.kernels.tensor.Dims3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code cubist bench --layer}: torch.nn constructor kwargs to typed layers, shapes and FLOPs. */
class BenchLayerSpecTest {

    private static ConvSpec conv(String json) {
        return assertInstanceOf(LayerSpec.Conv.class, LayerSpec.parse(json)).spec();
    }

    private static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse(json)).getMessage();
    }

    @Test
    void conv3dTakesNnConv3dDefaults() {
        ConvSpec c = conv("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 3, \"out_channels\": 64,"
                + " \"kernel_size\": 3}}");
        assertEquals(ConvSpec.builder(3, 3, 64, 3).build(), c);
        assertTrue(c.bias());
        assertEquals(PaddingMode.ZEROS, c.paddingMode());
    }

    @Test
    void conv3dKwargsMapOntoTheSpec() {
        ConvSpec c = conv("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 64, \"out_channels\": 144,"
                + " \"kernel_size\": [1, 3, 3], \"stride\": [1, 2, 2], \"padding\": [0, 1, 1], \"dilation\": 1,"
                + " \"groups\": 2, \"bias\": false, \"padding_mode\": \"replicate\"}}");
        assertEquals(ConvSpec.builder(3, 64, 144, 1, 3, 3).stride(1, 2, 2).padding(0, 1, 1).groups(2).bias(false)
                .paddingMode(PaddingMode.REPLICATE).build(), c);
        assertEquals(ConvSpec.PaddingKind.SAME, conv("{\"module\": \"Conv2d\", \"args\": {\"in_channels\": 1,"
                + " \"out_channels\": 1, \"kernel_size\": 4, \"padding\": \"same\"}}").paddingKind());
        assertEquals(ConvSpec.PaddingKind.VALID, conv("{\"module\": \"Conv1d\", \"args\": {\"in_channels\": 1,"
                + " \"out_channels\": 1, \"kernel_size\": 4, \"padding\": \"valid\"}}").paddingKind());
    }

    @Test
    void transposedConvolutions() {
        ConvSpec t = conv("{\"module\": \"ConvTranspose3d\", \"args\": {\"in_channels\": 64, \"out_channels\": 32,"
                + " \"kernel_size\": 2, \"stride\": 2, \"output_padding\": 1}}");
        assertEquals(ConvSpec.builder(3, 64, 32, 2).stride(2).outputPadding(1).transposed(true).build(), t);
        assertTrue(error("{\"module\": \"ConvTranspose2d\", \"args\": {\"in_channels\": 1, \"out_channels\": 1,"
                + " \"kernel_size\": 3, \"padding\": \"same\"}}").contains("argument 'padding' must be an int or a"
                + " list of ints"));
        assertTrue(error("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 1, \"out_channels\": 1,"
                + " \"kernel_size\": 3, \"output_padding\": 1}}").contains("unknown argument 'output_padding'"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 3, \"out_channels\": 64, \"kernel_size\": 3,"
            + " \"padding\": 1}};    1,3,16,112,112; 1,64,16,112,112",
        "{\"module\": \"Conv2d\", \"args\": {\"in_channels\": 3, \"out_channels\": 8, \"kernel_size\": 3,"
            + " \"stride\": 2}};     2,3,9,9;        2,8,4,4",
        "{\"module\": \"Conv1d\", \"args\": {\"in_channels\": 4, \"out_channels\": 2, \"kernel_size\": 5,"
            + " \"dilation\": 2}};   1,4,20;         1,2,12",
        "{\"module\": \"ConvTranspose3d\", \"args\": {\"in_channels\": 64, \"out_channels\": 32,"
            + " \"kernel_size\": 2, \"stride\": 2}}; 4,64,8,28,28; 4,32,16,56,56",
        "{\"module\": \"MaxPool3d\", \"args\": {\"kernel_size\": [1, 2, 2]}}; 1,8,4,9,9; 1,8,4,4,4",
        "{\"module\": \"MaxPool3d\", \"args\": {\"kernel_size\": 3, \"stride\": 2, \"padding\": 1,"
            + " \"ceil_mode\": true}}; 1,8,4,9,9; 1,8,3,5,5",
        "{\"module\": \"AvgPool3d\", \"args\": {\"kernel_size\": 2, \"stride\": 1}}; 2,3,4,5,6; 2,3,3,4,5",
        "{\"module\": \"AdaptiveAvgPool3d\", \"args\": {\"output_size\": [1, null, 2]}}; 1,8,4,9,9; 1,8,1,9,2",
        "{\"module\": \"AdaptiveAvgPool3d\", \"args\": {\"output_size\": 1}}; 1,8,4,9,9; 1,8,1,1,1",
        "{\"module\": \"BatchNorm3d\", \"args\": {\"num_features\": 8, \"eps\": 0.001}}; 1,8,4,9,9; 1,8,4,9,9",
        "{\"module\": \"ReLU\"}; 3,5; 3,5",
        "{\"module\": \"ReLU\", \"args\": {\"inplace\": true}}; 1,2,3,4,5; 1,2,3,4,5",
    })
    void outputShapesFollowPytorch(String json, String in, String out) {
        LayerSpec l = LayerSpec.parse(json);
        assertArrayEquals(shape(out), l.outputShape(shape(in)));
    }

    private static int[] shape(String s) {
        return java.util.Arrays.stream(s.split(",")).mapToInt(x -> Integer.parseInt(x.strip())).toArray();
    }

    @Test
    void flopsAreTwiceTheDirectConvolutionMacs() {
        LayerSpec c = LayerSpec.parse("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 128,"
                + " \"out_channels\": 256, \"kernel_size\": 3, \"padding\": 1}}");
        assertEquals(2L * 8 * 28 * 28 * 256 * 128 * 27, c.flops(new int[] {1, 128, 8, 28, 28}).getAsLong());
        LayerSpec dw = LayerSpec.parse("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 256,"
                + " \"out_channels\": 256, \"kernel_size\": 3, \"padding\": 1, \"groups\": 256}}");
        assertEquals(2L * 4 * 8 * 28 * 28 * 256 * 27, dw.flops(new int[] {4, 256, 8, 28, 28}).getAsLong());
        LayerSpec t = LayerSpec.parse("{\"module\": \"ConvTranspose3d\", \"args\": {\"in_channels\": 64,"
                + " \"out_channels\": 32, \"kernel_size\": 2, \"stride\": 2}}");
        assertEquals(2L * 8 * 28 * 28 * 64 * 32 * 8, t.flops(new int[] {1, 64, 8, 28, 28}).getAsLong());
        assertFalse(LayerSpec.parse("{\"module\": \"ReLU\"}").flops(new int[] {1, 2}).isPresent());
    }

    @Test
    void poolDefaultsFollowNn() {
        LayerSpec.MaxPool3d m = assertInstanceOf(LayerSpec.MaxPool3d.class,
                LayerSpec.parse("{\"module\": \"MaxPool3d\", \"args\": {\"kernel_size\": [1, 3, 3]}}"));
        assertEquals(PoolSpec.max(new Dims3(1, 3, 3), new Dims3(1, 3, 3), Dims3.of(0), Dims3.of(1), false),
                m.spec());
        LayerSpec.AvgPool3d a = assertInstanceOf(LayerSpec.AvgPool3d.class,
                LayerSpec.parse("{\"module\": \"AvgPool3d\", \"args\": {\"kernel_size\": 2, \"stride\": null,"
                        + " \"count_include_pad\": false, \"divisor_override\": 3}}"));
        assertEquals(PoolSpec.avg(Dims3.of(2), Dims3.of(2), Dims3.of(0), false, false, 3), a.spec());
        assertEquals(new LayerSpec.BatchNorm3d(8, 1e-5, true),
                LayerSpec.parse("{\"module\": \"BatchNorm3d\", \"args\": {\"num_features\": 8}}"));
    }

    @Test
    void unknownModulesAndArgumentsListWhatIsAllowed() {
        String e = error("{\"module\": \"Conv4d\", \"args\": {}}");
        assertEquals("unknown module 'Conv4d'; modules: Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,"
                + " ConvTranspose3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, BatchNorm3d, ReLU", e);
        e = error("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 1, \"out_channels\": 1, \"kernel_size\": 3,"
                + " \"strides\": 2}}");
        assertEquals("Conv3d: unknown argument 'strides'; Conv3d takes in_channels, out_channels, kernel_size,"
                + " stride, padding, dilation, groups, bias, padding_mode", e);
        e = error("{\"module\": \"ReLU\", \"args\": {\"alpha\": 1}}");
        assertEquals("ReLU: unknown argument 'alpha'; ReLU takes inplace", e);
        assertTrue(error("{\"module\": \"Conv3d\", \"kwargs\": {}}").contains("unknown key 'kwargs'"));
        assertTrue(error("[1]").startsWith("layer: expected a JSON object"));
        assertTrue(error("{\"args\": {}}").contains("\"module\" must be a string"));
    }

    @Test
    void badValuesNameTheModuleAndTheArgument() {
        assertEquals("Conv3d: missing required argument 'out_channels'",
                error("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 1, \"kernel_size\": 3}}"));
        assertEquals("Conv3d: argument 'kernel_size' must be an int or a list of ints, got '3'",
                error("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 1, \"out_channels\": 1,"
                        + " \"kernel_size\": \"3\"}}"));
        assertTrue(error("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 6, \"out_channels\": 8,"
                + " \"kernel_size\": 3, \"groups\": 4}}").startsWith("Conv3d: conv3d: in_channels (6) must be"
                + " divisible by groups (4)"));
        assertTrue(error("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 1, \"out_channels\": 1,"
                + " \"kernel_size\": 3, \"padding\": \"full\"}}").contains("'same' or 'valid'"));
        assertTrue(error("{\"module\": \"MaxPool3d\", \"args\": {\"kernel_size\": 2, \"return_indices\": true}}")
                .startsWith("MaxPool3d: argument 'return_indices' must be false"));
        assertTrue(error("{\"module\": \"BatchNorm3d\", \"args\": {\"num_features\": 8,"
                + " \"track_running_stats\": false}}").startsWith("BatchNorm3d: argument 'track_running_stats'"));
        assertTrue(error("{\"module\": \"AdaptiveAvgPool3d\", \"args\": {\"output_size\": [1, 2]}}")
                .contains("output_size must be an int or a list of 3"));
        assertTrue(error("{\"module\": \"AvgPool3d\", \"args\": {\"kernel_size\": 2, \"divisor_override\": 0}}")
                .contains("divisor_override"));
    }

    @Test
    void inputShapesAreChecked() {
        LayerSpec c = LayerSpec.parse("{\"module\": \"Conv3d\", \"args\": {\"in_channels\": 3, \"out_channels\": 4,"
                + " \"kernel_size\": 3}}");
        String e = assertThrows(IllegalArgumentException.class, () -> c.outputShape(new int[] {3, 16, 112, 112}))
                .getMessage();
        assertEquals("Conv3d: expected a 5D input [N, C, D, H, W], got shape [3, 16, 112, 112]", e);
        e = assertThrows(IllegalArgumentException.class, () -> c.outputShape(new int[] {1, 4, 8, 8, 8}))
                .getMessage();
        assertEquals("Conv3d: expected 3 input channels, got shape [1, 4, 8, 8, 8]", e);
        assertThrows(IllegalArgumentException.class, () -> c.outputShape(new int[] {1, 3, 2, 8, 8}));
        LayerSpec bn = LayerSpec.parse("{\"module\": \"BatchNorm3d\", \"args\": {\"num_features\": 8}}");
        assertThrows(IllegalArgumentException.class, () -> bn.outputShape(new int[] {1, 4, 2, 2, 2}));
    }

    @Test
    void aPreparedLayerProducesTheShapeItAnnounced() {
        ReferenceBackend ref = new ReferenceBackend();
        for (String json : new String[] {
            "{\"module\": \"Conv2d\", \"args\": {\"in_channels\": 2, \"out_channels\": 3, \"kernel_size\": 3,"
                + " \"padding\": \"same\", \"bias\": false}}",
            "{\"module\": \"ConvTranspose1d\", \"args\": {\"in_channels\": 2, \"out_channels\": 4,"
                + " \"kernel_size\": 3, \"stride\": 2, \"groups\": 2}}",
            "{\"module\": \"AdaptiveAvgPool3d\", \"args\": {\"output_size\": [null, 2, 1]}}",
            "{\"module\": \"BatchNorm3d\", \"args\": {\"num_features\": 2, \"affine\": false}}",
        }) {
            LayerSpec l = LayerSpec.parse(json);
            int[] in = l instanceof LayerSpec.Conv c && c.spec().spatialDims() == 1 ? new int[] {2, 2, 7}
                    : l instanceof LayerSpec.Conv ? new int[] {2, 2, 5, 6} : new int[] {2, 2, 3, 4, 5};
            LayerWorkload w = new LayerWorkload(l, in, ref, 7);
            w.run();
            assertArrayEquals(w.outputShape(), w.lastOutput().shape(), json);
        }
    }
}
