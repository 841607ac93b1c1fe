// dst = src, four floats per thread, grid-stride so any size fits the dispatch limits.
#version 450
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Src { vec4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { vec4 dst[]; };
layout(push_constant) uniform Params { uint n4; } p;
void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n4; i += stride) dst[i] = src[i];
}
