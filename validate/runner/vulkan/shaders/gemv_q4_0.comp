// y = W x with W in ggml q4_0 blocks (f16 scale + 16 bytes of nibbles = 18 bytes per 32
// weights; weight j in the low nibble of byte j, j+16 in its high nibble). Blocks are not
// 4-byte aligned, so bytes are extracted from the uint words. One workgroup per row.
#version 450
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer W { uint w[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params { uint n; uint k; } p;
shared float partial[64];
uint byte_at(uint offset) { return (w[offset >> 2] >> ((offset & 3u) * 8u)) & 0xffu; }
void main() {
  const uint t = gl_LocalInvocationID.x, blocks = p.k / 32;
  for (uint row = gl_WorkGroupID.x; row < p.n; row += gl_NumWorkGroups.x) {
    float sum = 0.0;
    for (uint b = t; b < blocks; b += 64) {
      const uint at = (row * blocks + b) * 18u;
      const float d = unpackHalf2x16(byte_at(at) | (byte_at(at + 1) << 8)).x;
      float block = 0.0;
      for (uint j = 0; j < 16; ++j) {
        const uint q = byte_at(at + 2 + j);
        block += float(int(q & 0xfu) - 8) * x[b * 32 + j] + float(int(q >> 4) - 8) * x[b * 32 + j + 16];
      }
      sum += d * block;
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
