// y = W x with W in ggml q4_0 blocks (f16 scale + 16 bytes of nibbles = 18 bytes per 32
// weights; weight j in the low nibble of byte j, j+16 in its high nibble). One workgroup
// per row; four invocations share a block, each taking one 4-byte word of its quants (8
// weights), so neighbouring invocations read neighbouring words of W and vec4s of x (on an
// H100, one block per invocation left x reads 128 bytes apart: 90-130 GB/s). A block starts
// at 18 b bytes, 2-byte aligned: when it starts mid-word its quant words are realigned by 16
// bits from two aligned loads.
#version 450
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer W { uint w[]; };
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params { uint n; uint k; } p;
shared float partial[64];
void main() {
  const uint t = gl_LocalInvocationID.x, part = t & 3u, blocks = p.k / 32;
  for (uint row = gl_WorkGroupID.x; row < p.n; row += gl_NumWorkGroups.x) {
    float sum = 0.0;
    for (uint b = t >> 2; b < blocks; b += 16) {
      const uint at = (row * blocks + b) * 18u, word = at >> 2;
      const uint w0 = w[word];
      float d;
      uint q;
      if ((at & 3u) == 0u) {
        d = unpackHalf2x16(w0 & 0xffffu).x;
        q = (w[word + part] >> 16) | (w[word + part + 1] << 16);
      } else {
        d = unpackHalf2x16(w0 >> 16).x;
        q = w[word + 1 + part];
      }
      const vec4 lo = vec4(uvec4(q, q >> 8, q >> 16, q >> 24) & 0xfu) - 8.0;
      const vec4 hi = vec4(uvec4(q >> 4, q >> 12, q >> 20, q >> 28) & 0xfu) - 8.0;
      sum += d * (dot(lo, x[b * 8 + part]) + dot(hi, x[b * 8 + 4 + part]));
    }
    partial[t] = sum;
    barrier();
    for (uint s = 32; s > 0; s >>= 1) {
      if (t < s) partial[t] += partial[t + s];
      barrier();
    }
    if (t == 0) y[row] = partial[0];
    barrier();
  }
}
