// y = W x, f32: one workgroup per output row, threads stride over k, shared-memory reduction.
#version 450
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer W { float w[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params { uint n; uint k; } p;
shared float partial[64];
void main() {
  const uint t = gl_LocalInvocationID.x;
  for (uint row = gl_WorkGroupID.x; row < p.n; row += gl_NumWorkGroups.x) {
    float sum = 0.0;
    for (uint i = t; i < p.k; i += 64) sum += w[row * p.k + i] * x[i];
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
