// y = W x with W in f16 (two halves per uint, unpacked in the shader: no 16-bit storage
// feature needed), x and y f32. One workgroup per row; k is even.
#version 450
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer W { uint w[]; };
layout(std430, binding = 1) readonly buffer X { vec2 x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params { uint n; uint k; } p;
shared float partial[64];
void main() {
  const uint t = gl_LocalInvocationID.x, pairs = p.k / 2;
  for (uint row = gl_WorkGroupID.x; row < p.n; row += gl_NumWorkGroups.x) {
    float sum = 0.0;
    for (uint i = t; i < pairs; i += 64) sum += dot(unpackHalf2x16(w[row * pairs + i]), x[i]);
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
