import * as tf from '@tensorflow/tfjs';

/** Kernel that runs TensorFlow's own `ReluGrad` op on the native backend. */
const NATIVE_RELU_GRAD = 'CascadeNativeReluGrad';

interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.TensorInfo;
}

/**
 * Replaces the gradient of ReLU with TensorFlow's fused `ReluGrad` op on the native backend.
 * tfjs computes it as `dy * step(x)`, and tfjs-node 4.22 builds `step` from six full-size ops
 * (isNaN, greater, ones, fill, where, select): on a 24-net batch that took 9 of 34 ms per step.
 * Other backends keep the tfjs gradient. Safe to call more than once.
 */
export function useNativeReluGradient(): void {
  if (tf.getKernel(NATIVE_RELU_GRAD, 'tensorflow')) {
    return;
  }
  tf.registerKernel({
    kernelName: NATIVE_RELU_GRAD,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend }) => {
      const native = backend as unknown as NativeBackend;
      const attrs = [{ name: 'T', type: native.binding.TF_ATTR_TYPE, value: native.binding.TF_FLOAT }];
      return native.executeSingleOutput('ReluGrad', attrs, [inputs.dy as tf.Tensor, inputs.x as tf.Tensor]);
    },
  });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as tf.Tensor[];
      return {
        x: () => {
          if (tf.getBackend() === 'tensorflow' && x?.dtype === 'float32') {
            return tf.engine().runKernel(NATIVE_RELU_GRAD, { dy: dy as tf.Tensor, x: x as tf.Tensor }) as tf.Tensor;
          }
          return tf.mul(dy as tf.Tensor, tf.step(tf.cast(x as tf.Tensor, 'float32')));
        },
      };
    },
  });
}
