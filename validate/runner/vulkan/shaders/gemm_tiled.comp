// C[m x n] = A[m x k] * W[n x k]^T, f32, 16x16 output tiles: each workgroup stages a tile
// of A and of W in shared memory per step of 16 along k; each thread owns one output.
#version 450
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer W { float w[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };
layout(push_constant) uniform Params { uint m; uint n; uint k; } p;
shared float ta[16][16];
shared float tw[16][16];
void main() {
  const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  const uint row = gl_WorkGroupID.y * 16 + ty;  // along m
  const uint col = gl_WorkGroupID.x * 16 + tx;  // along n
  const uint wrow = gl_WorkGroupID.x * 16 + ty;
  float sum = 0.0;
  for (uint k0 = 0; k0 < p.k; k0 += 16) {
    ta[ty][tx] = (row < p.m && k0 + tx < p.k) ? a[row * p.k + k0 + tx] : 0.0;
    tw[ty][tx] = (wrow < p.n && k0 + tx < p.k) ? w[wrow * p.k + k0 + tx] : 0.0;
    barrier();
    for (uint i = 0; i < 16; ++i) sum += ta[ty][i] * tw[tx][i];
    barrier();
  }
  if (row < p.m && col < p.n) c[row * p.n + col] = sum;
}
