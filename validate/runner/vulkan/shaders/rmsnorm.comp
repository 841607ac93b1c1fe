// One workgroup per row: y = x / sqrt(mean(x^2) + eps) * w, sum of squares reduced in shared memory.
#version 450
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Params { uint n; float eps; } p;
shared float partial[256];
void main() {
  const uint row = gl_WorkGroupID.x, t = gl_LocalInvocationID.x, base = row * p.n;
  float sum = 0.0;
  for (uint i = t; i < p.n; i += 256) sum += x[base + i] * x[base + i];
  partial[t] = sum;
  barrier();
  for (uint s = 128; s > 0; s >>= 1) {
    if (t < s) partial[t] += partial[t + s];
    barrier();
  }
  const float inv = inversesqrt(partial[0] / float(p.n) + p.eps);
  for (uint i = t; i < p.n; i += 256) y[base + i] = x[base + i] * inv * w[i];
}
