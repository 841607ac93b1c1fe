// a = b + s * c (STREAM triad), four floats per thread, grid-stride.
#version 450
layout(local_size_x = 256) in;
layout(std430, binding = 0) writeonly buffer A { vec4 a[]; };
layout(std430, binding = 1) readonly buffer B { vec4 b[]; };
layout(std430, binding = 2) readonly buffer C { vec4 c[]; };
layout(push_constant) uniform Params { uint n4; float s; } p;
void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n4; i += stride) a[i] = b[i] + p.s * c[i];
}
